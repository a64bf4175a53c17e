"""``stegokit batch``: a folder of real photos and bad files, in worker processes, resumed
after a real SIGINT, and on a real Dask cluster (scheduler and 2 worker processes)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import photo
from PIL import Image
from typer.testing import CliRunner

import stegokit
from stegokit import batch
from stegokit.cli import app

MESSAGE = "batch mark 2026"
#: Keys every record has besides the single-file --json keys.
RECORD_KEYS = {"task", "job", "input", "output", "status", "error", "seconds", "worker"}
runner = CliRunner()


def cli(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def records(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def by_input(rows: list[dict]) -> dict[str, dict]:
    return {r["input"]: r for r in rows if r["status"] != "summary"}


def _crops(count: int, seed: int) -> list[np.ndarray]:
    """Crops of scikit-image photos, 48 to 180 pixels a side (some big enough for neural)."""
    rng = np.random.default_rng(seed)
    names = ("astronaut", "coffee", "chelsea", "rocket", "camera")
    out = []
    for i in range(count):
        pixels = photo(names[i % len(names)])
        h, w = (int(rng.integers(48, 181)) for _ in range(2))
        y, x = int(rng.integers(0, pixels.shape[0] - h)), int(rng.integers(0, pixels.shape[1] - w))
        out.append(np.ascontiguousarray(pixels[y : y + h, x : x + w]))
    return out


def _save(pixels: np.ndarray, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels[..., 0] if pixels.shape[2] == 1 else pixels).save(path)


BAD = ("truncated.png", "notes.png", "deep/float.tiff")
SIXTEEN = "set1/img04.png"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """57 good images (PNG, JPEG, grey and colour, one with 16 bits per value, in
    subfolders) and 3 bad files."""
    root = tmp_path_factory.mktemp("batch") / "photos"
    for i, pixels in enumerate(_crops(57, seed=21)):
        suffix = ".jpg" if i % 7 == 3 and pixels.shape[2] == 3 else ".png"
        _save(pixels, root / f"set{i % 3}" / f"img{i:02d}{suffix}")
    grey = _crops(57, seed=21)[4][..., 0]  # camera: converted to 8 bits with a notice
    Image.fromarray(grey.astype(np.uint16) * 257).save(root / SIXTEEN)
    assert Image.open(root / SIXTEEN).mode.startswith("I;16")
    _save(photo("coffee")[:100, :100], root / "truncated.png")
    data = (root / "truncated.png").read_bytes()
    (root / "truncated.png").write_bytes(data[: len(data) // 2])
    (root / "notes.png").write_text("not an image, only text\n")
    (root / "deep").mkdir()
    deep = (np.arange(96 * 96, dtype=np.float32) / 9216).reshape(96, 96)
    Image.fromarray(deep).save(root / "deep" / "float.tiff")
    assert Image.open(root / "deep" / "float.tiff").mode == "F"
    return root


def good_inputs(root: Path) -> list[str]:
    return sorted(str(p) for p in root.rglob("img*"))


def test_embed_extract_analyze_a_folder_with_bad_files(tmp_path, folder):
    out = tmp_path / "stego"
    embedded = cli("batch", "embed", folder, "-o", out, "-m", MESSAGE, "-j", 2, "--json")
    assert embedded.exit_code == 1, embedded.output
    rows = by_input(records(embedded.stdout))
    summary = records(embedded.stdout)[-1]
    assert summary["status"] == "summary"
    assert (summary["done"], summary["failed"], summary["skipped"]) == (57, 3, 0)
    assert len(rows) == 60
    for path in good_inputs(folder):
        row = rows[path]
        assert row["status"] == "done" and row["error"] is None, row
        relative = Path(path).relative_to(folder).with_suffix(".png")
        assert row["output"] == str(out / relative) and Path(row["output"]).is_file()
        assert row["payload_bytes"] == len(MESSAGE) and row["psnr"] > 50
    assert "16 bits per value" in " ".join(rows[str(folder / SIXTEEN)]["notices"])
    for name in BAD:
        row = rows[str(folder / name)]
        assert row["status"] == "failed" and row["error"]["kind"] == "input", row
        assert row["error"]["code"] == 1 and not Path(row["output"]).exists()
    assert "float" in rows[str(folder / BAD[2])]["input"]
    assert "floating-point" in rows[str(folder / BAD[2])]["error"]["message"]
    assert "not an image" in rows[str(folder / BAD[1])]["error"]["message"]
    assert "truncated" in rows[str(folder / BAD[0])]["error"]["message"]
    # the report holds the same records
    assert by_input(batch.report.read(out / "stegokit-embed.jsonl")) == rows

    # extract: the stego images, a clean cover and the bad files, listed in a file
    clean = good_inputs(folder)[0]
    listed = [str(p) for p in sorted(out.rglob("*.png"))] + [clean] + [
        str(folder / name) for name in BAD]
    (tmp_path / "list.txt").write_text("\n".join(listed) + "\n")
    found = cli("batch", "extract", tmp_path / "list.txt", "-j", 2, "--json",
                "--report", tmp_path / "extract.jsonl")
    assert found.exit_code == 1, found.output
    rows = by_input(records(found.stdout))
    assert len(rows) == 61
    for path in listed[:57]:
        assert rows[path]["status"] == "done" and rows[path]["text"] == MESSAGE, rows[path]
    assert rows[clean]["error"] == {"code": 3, "kind": "no_payload",
                                    "message": rows[clean]["error"]["message"]}
    for name in BAD:
        assert rows[str(folder / name)]["status"] == "failed"

    analysed = cli("batch", "analyze", folder, "-j", 2, "--json",
                   "--report", tmp_path / "analyze.jsonl")
    assert analysed.exit_code == 1
    rows = by_input(records(analysed.stdout))
    assert sum(r["status"] == "done" for r in rows.values()) == 57
    assert all(r["verdict"] in ("clean", "suspicious", "likely stego")
               for r in rows.values() if r["status"] == "done")
    assert {r["error"]["kind"] for r in rows.values() if r["status"] == "failed"} == {"input"}


def test_records_carry_the_single_file_json(tmp_path, folder):
    """The same keys and values as embed-text / extract-text / analyze --json."""
    cover = good_inputs(folder)[1]
    alone = json.loads(cli("embed-text", cover, "-o", tmp_path / "one.png", "-m", MESSAGE,
                           "--json").stdout)
    (tmp_path / "list.txt").write_text(cover)
    got = cli("batch", "embed", tmp_path / "list.txt", "-o", tmp_path / "out", "-m", MESSAGE,
              "-j", 1, "--json")
    record = records(got.stdout)[0]
    assert set(record) == RECORD_KEYS | set(alone) | {"notices"}
    # (the count of changed values and the PSNR depend on the random ±1 draws)
    varying = {"output", "changed", "psnr"}
    assert {k: record[k] for k in alone if k not in varying} == {
        k: v for k, v in alone.items() if k not in varying}

    single = json.loads(cli("extract-text", tmp_path / "one.png", "--json").stdout)
    (tmp_path / "list.txt").write_text(str(tmp_path / "one.png"))
    record = records(cli("batch", "extract", tmp_path / "list.txt", "-j", 1, "--json",
                         "--report", tmp_path / "x.jsonl").stdout)[0]
    assert {k: record[k] for k in single} == single

    single = json.loads(cli("analyze", cover, "--json").stdout)
    (tmp_path / "list.txt").write_text(cover)
    record = records(cli("batch", "analyze", tmp_path / "list.txt", "-j", 1, "--json",
                         "--report", tmp_path / "a.jsonl").stdout)[0]
    assert {k: record[k] for k in single} == single


def _interrupted_run(src: Path, out: Path, after: int) -> tuple[int, list[dict]]:
    """Start a batch in a subprocess, SIGINT it after ``after`` records, return (rc, rows)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "stegokit", "batch", "embed", str(src), "-o", str(out),
         "-m", MESSAGE, "-j", "2", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    seen = []
    for line in proc.stdout:
        seen.append(json.loads(line))
        if len(seen) == after:
            proc.send_signal(signal.SIGINT)
            break
    rest, _ = proc.communicate(timeout=120)
    *rows, last = seen + records(rest)
    assert last == {"error": {"code": 130, "kind": "interrupted", "message": "interrupted"}}
    return proc.returncode, rows


def test_an_interrupted_batch_resumes_without_redoing_or_losing_anything(tmp_path, folder):
    src = tmp_path / "good"
    shutil.copytree(folder / "set0", src)  # good files only: the rerun must exit 0
    for i, pixels in enumerate(_crops(20, seed=5)):
        _save(pixels, src / "more" / f"p{i:02d}.png")
    out = tmp_path / "stego"
    total = len(list(src.rglob("*.*")))
    code, first = _interrupted_run(src, out, after=6)
    assert code == 130
    # the files running at the interruption finished and are in the report, if not printed
    report = batch.report.read(out / "stegokit-embed.jsonl")
    done = {r["input"]: r for r in report if r["status"] == "done"}
    assert {r["input"] for r in first if r["status"] == "done"} <= set(done)
    assert 6 <= len(done) < total  # interrupted for real
    # nothing half-written, and every output there is one the report knows
    assert not [p for p in out.rglob("*") if p.name.startswith(".")]
    assert {str(p) for p in out.rglob("*.png")} == {r["output"] for r in done.values()}
    stamps = {r["output"]: os.stat(r["output"]).st_mtime_ns for r in done.values()}

    again = cli("batch", "embed", src, "-o", out, "-m", MESSAGE, "-j", 2, "--json")
    assert again.exit_code == 0, again.output
    rows = by_input(records(again.stdout))
    assert {p for p, r in rows.items() if r["status"] == "skipped"} == set(done)
    assert sum(r["status"] == "done" for r in rows.values()) == total - len(done)
    assert {r["output"]: os.stat(r["output"]).st_mtime_ns for r in done.values()} == stamps
    for path in out.rglob("*.png"):
        assert stegokit.extract_text(path).text == MESSAGE

    # a deleted output is made again; an existing file the report does not know is kept
    victim = next(iter(done.values()))["output"]
    os.unlink(victim)
    stranger = out / "more" / "p00.png"
    unknown = tmp_path / "report2.jsonl"
    third = cli("batch", "embed", src, "-o", out, "-m", MESSAGE, "-j", 1, "--json")
    assert third.exit_code == 0 and Path(victim).is_file()
    assert sum(r["status"] == "done" for r in records(third.stdout)[:-1]) == 1
    before = stranger.read_bytes()
    fresh = cli("batch", "embed", src, "-o", out, "-m", "other", "-j", 2, "--json",
                "--report", unknown)
    assert fresh.exit_code == 1
    assert stranger.read_bytes() == before
    refused = by_input(records(fresh.stdout))[str(src / "more" / "p00.png")]
    assert refused["error"]["kind"] == "output" and "--force" in refused["error"]["message"]


def test_manifest_payload_rate_and_seed(tmp_path, folder):
    files = good_inputs(folder)[:4]
    (tmp_path / "list.txt").write_text("\n".join(files))
    root = os.path.commonpath([os.path.dirname(p) for p in files])  # a list's root
    relative = [Path(p).relative_to(root).as_posix() for p in files]
    (tmp_path / "secret.bin").write_bytes(bytes(range(40)))
    (tmp_path / "manifest.csv").write_text(
        "file,message,payload\n"
        f"{relative[0]},first message,\n{relative[1]},,secret.bin\n{relative[2]},third,\n")
    got = cli("batch", "embed", tmp_path / "list.txt", "-o", tmp_path / "m", "--messages",
              tmp_path / "manifest.csv", "-j", 1, "--json")
    assert got.exit_code == 1
    rows = by_input(records(got.stdout))
    assert stegokit.extract_text(rows[files[0]]["output"]).text == "first message"
    assert stegokit.extract_text(rows[files[1]]["output"]).payload.data == bytes(range(40))
    assert "no row" in rows[files[3]]["error"]["message"]

    runs = []
    for name in ("r1", "r2"):
        got = cli("batch", "embed", tmp_path / "list.txt", "-o", tmp_path / name,
                  "--payload-rate", 0.2, "--seed", 7, "-j", 2, "--json")
        assert got.exit_code == 0, got.output
        runs.append(by_input(records(got.stdout)))
    for path in files:
        first, second = runs[0][path], runs[1][path]
        assert 0.19 < first["rate"] <= 0.2 and first["kind"] == "file"
        assert Path(first["output"]).read_bytes() == Path(second["output"]).read_bytes()


def test_memory_budget_lowers_jobs_and_dask_is_not_imported(tmp_path, folder):
    _save(np.kron(photo("astronaut"), np.ones((2, 2, 1), np.uint8)), tmp_path / "big" / "b.png")
    shutil.copy(good_inputs(folder)[0], tmp_path / "big" / "a.png")
    planned = batch.run(batch.Analyze(), tmp_path / "big", report_path=tmp_path / "r.jsonl",
                        jobs=2, memory_budget=60 << 20)
    assert planned.workers == 1 and "lowered from 2 to 1" in planned.notices[0]
    assert batch.run(batch.Analyze(), tmp_path / "big", report_path=tmp_path / "r.jsonl",
                     jobs=2, memory_budget=4 << 30).workers == 2
    probe = ("import sys; from stegokit.cli import main\n"
             "sys.argv = ['stegokit', 'batch', 'analyze', sys.argv[1], '-j', '1', '--json']\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "assert not {'dask', 'distributed'} & set(sys.modules), 'dask imported'\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "big")], env=env,
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def test_secrets_never_go_to_a_remote_plain_tcp_scheduler(tmp_path, folder):
    (tmp_path / "pass").write_text("a long enough passphrase\n")
    got = cli("batch", "embed", folder, "-o", tmp_path / "o", "-m", "x", "--passphrase-file",
              tmp_path / "pass", "--scheduler", "tcp://192.0.2.1:8786")
    assert got.exit_code == 1 and "tls://" in got.output
    assert not (tmp_path / "o").exists()


def _dask():
    if os.environ.get("CI") == "true":
        import distributed  # CI installs the test extra: a missing Dask is a failure

        return distributed
    return pytest.importorskip("distributed")


def test_a_dask_cluster_gives_the_same_report_as_the_local_pool(tmp_path, folder):
    distributed = _dask()
    files = [*good_inputs(folder)[::5], str(folder / BAD[0])]
    (tmp_path / "list.txt").write_text("\n".join(files))

    def strip(text: str, out: Path) -> list[dict]:
        rows = [r for r in records(text) if r["status"] != "summary"]
        for r in rows:
            r.pop("seconds"), r.pop("worker"), r.pop("job")
            r["output"] = str(Path(r["output"]).relative_to(out))
        return sorted(rows, key=lambda r: r["input"])

    args = ("--payload-rate", 0.1, "--seed", 3, "--json")
    local = cli("batch", "embed", tmp_path / "list.txt", "-o", tmp_path / "local", "-j", 2,
                *args)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        remote = cli("batch", "embed", tmp_path / "list.txt", "-o", tmp_path / "dask",
                     "--scheduler", cluster.scheduler_address, *args)
        with distributed.Client(cluster, set_as_default=False) as client:
            threads = client.run(_model_threads)
    assert set(threads.values()) == {1}  # the worker processes are the parallelism
    assert local.exit_code == remote.exit_code == 1, remote.output
    assert strip(remote.stdout, tmp_path / "dask") == strip(local.stdout, tmp_path / "local")
    workers = {r["worker"] for r in records(remote.stdout)[:-1]}
    assert len(workers) <= 2 and all(w.split(":")[1] != str(os.getpid()) for w in workers)
    for path in (tmp_path / "dask").rglob("*.png"):
        twin = tmp_path / "local" / path.relative_to(tmp_path / "dask")
        assert path.read_bytes() == twin.read_bytes()


def test_neural_from_stdin_in_one_reused_worker(tmp_path, folder):
    """Paths on stdin; one worker process (the model loaded once) serves every file."""
    files = [p for p in good_inputs(folder)
             if min(Image.open(p).size) >= 128 and Image.open(p).mode == "RGB"][:3]
    got = runner.invoke(app, ["batch", "embed", "-", "-o", str(tmp_path / "n"), "-m", "hi",
                              "--method", "neural", "-j", "1", "--json"],
                        input="\n".join(files) + "\n")
    assert got.exit_code == 0, got.output
    rows = records(got.stdout)[:-1]
    assert len(rows) == 3 and all(r["output"].endswith(".jpg") for r in rows)
    assert len({r["worker"] for r in rows}) == 1
    found = cli("batch", "extract", tmp_path / "n", "--json", "-j", 1, "--report",
                tmp_path / "x.jsonl")
    assert [r["text"] for r in records(found.stdout)[:-1]] == ["hi"] * 3


def _can_hide_folders() -> bool:
    """Whether this machine can give a process its own mounts (root and util-linux unshare)."""
    if os.geteuid() == 0 and shutil.which("unshare"):
        return True
    if os.environ.get("CI") == "true":
        pytest.fail("the shared-storage test needs root and unshare under CI=true", pytrace=False)
    pytest.skip("needs root and unshare to give a Dask worker its own view of the disk")


def _worker_without(scheduler: str, hidden: Path) -> subprocess.Popen:
    """A real ``dask worker`` process for which ``hidden`` is an empty folder: on its own
    mount namespace an empty tmpfs covers it, as on a machine that lacks the shared disk."""
    worker = [sys.executable, "-m", "distributed.cli.dask_worker", scheduler, "--nthreads", "1",
              "--no-dashboard", "--host", "127.0.0.1"]
    script = 'mount -t tmpfs tmpfs "$1" && shift && exec "$@"'
    return subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                             script, "sh", str(hidden), *worker],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.parametrize("hidden", ["inputs", "outputs"])
def test_a_worker_without_the_shared_storage_stops_the_batch_before_any_work(
        tmp_path, folder, hidden):
    distributed = _dask()
    _can_hide_folders()
    inputs = tmp_path / "inputs"
    shutil.copytree(folder / "set0", inputs)
    out = tmp_path / "outputs"
    out.mkdir()
    with distributed.LocalCluster(n_workers=0, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster, set_as_default=False) as client:
        worker = _worker_without(cluster.scheduler_address, tmp_path / hidden)
        try:
            client.wait_for_workers(1, timeout=60)
            result = cli("batch", "embed", inputs, "-o", out, "-m", MESSAGE,
                         "--scheduler", cluster.scheduler_address)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    assert result.exit_code == 1, result.output
    lost = "cannot see the output folder" if hidden == "outputs" else f"cannot see {inputs}"
    assert lost in result.output
    assert "storage every worker mounts at the same path" in result.output
    assert not list(out.rglob("*.png")) and not list(out.glob(".stegokit-*"))


def _model_threads() -> int:
    from stegokit.codecs.neural_model import session

    return session("decoder").get_session_options().intra_op_num_threads


def test_pool_workers_run_the_neural_model_on_one_thread_each():
    """The worker processes are the parallelism: onnxruntime's own thread pool on top of
    them burned 3x the CPU for the same files (docs/benchmarks.md)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from stegokit.batch import executors, tasks

    context = multiprocessing.get_context("spawn")
    task = tasks.Extract(method="neural")
    with ProcessPoolExecutor(1, mp_context=context, initializer=executors.start_worker,
                             initargs=(task,)) as pool:
        assert pool.submit(_model_threads).result(timeout=120) == 1
