#!/bin/bash
# The planned v2 run on a leased GPU machine (no network), from a folder holding src/,
# training/, models/, data/ (split.json, photos of the val and test splits) and pack.zip:
# three training runs side by side on one GPU (a hedge on the settings; C is the tiled
# message with a globally pooled decoder, which barely started on the CPU),
# the best by validation exported to models/ (encoder2.onnx, decoder2.onnx).
# Results go to $OUT (at most 8 files). Settings: MIN (training minutes), DEVICE,
# TRAIN_ARGS (extra arguments of training.train_v2).
set -u
cd "$(dirname "$0")/../.."
export PYTHONPATH=$PWD/src:$PWD PYTHONUNBUFFERED=1
MIN=${MIN:-5.5}
DEVICE=${DEVICE:-cuda}
mkdir -p "$OUT/A" "$OUT/B" "$OUT/C"
nvidia-smi --query-gpu=name,memory.total --format=csv 2>/dev/null
train() {
  python3 -m training.train_v2 --device "$DEVICE" --pack pack.zip --run "/tmp/run$1" \
    --minutes "$MIN" --steps 40000 --threads 4 --val-every 1000 --val-batches 8 \
    --ckpt-every 2000 --log-every 250 --ramp 3000 --start-max 4000 "${@:2}" ${TRAIN_ARGS:-} \
    > "/tmp/run$1.out" 2>&1
}
save() {
  for r in A B C; do cp "/tmp/run$r/best.ckpt" "$OUT/$r/" 2>/dev/null; done
  tar -cf "$OUT/logs.tar" /tmp/run?.out /tmp/run?/train.log 2>/dev/null
}
train A --batch 64 --psnr 42 --seed 1 &
runs=$!
train B --batch 64 --psnr 40.5 --seed 2 &
runs="$runs $!"
train C --batch 64 --psnr 42 --tile 32 --pool 1 --seed 3 &
runs="$runs $!"
(while sleep 20; do save; done) &
copier=$!
wait $runs
kill "$copier"
save
tail -n 4 /tmp/run?.out
pick=$(python3 - <<'PY'
import torch
best = None
for r in "ABC":
    try:
        ck = torch.load(f"/tmp/run{r}/best.ckpt", weights_only=False, map_location="cpu")
    except FileNotFoundError:
        continue
    v = ck["val"]
    acc = sum(x for k, x in v.items() if k != "psnr") / (len(v) - 1)
    key = acc - (0 if v["psnr"] >= 41 else 1)
    print(r, ck["step"], {k: round(x, 4) for k, x in v.items()}, round(key, 4), flush=True,
          file=__import__("sys").stderr)
    if best is None or key > best[0]:
        best = (key, r)
print(best[1])
PY
)
echo "picked run $pick"
python3 -m training.export --generation 2 --ckpt "/tmp/run$pick/best.ckpt" --out models \
  --log /tmp/export.log 2>&1 | tail -n 8
tar -cf "$OUT/models.tar" models/*.onnx models/SHA256SUMS /tmp/export.log
