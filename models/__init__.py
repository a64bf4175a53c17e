"""The neural codec's ONNX models and their SHA256SUMS manifest (data only)."""
