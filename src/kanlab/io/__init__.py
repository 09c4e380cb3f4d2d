"""Files: checkpoints, exported programs, run logs, and the atomic writes under them all."""
from kanlab.io._atomic import atomic_write_bytes, atomic_write_text, atomic_writer
from kanlab.io._checkpoint import FORMAT, FORMAT_VERSION, load, save
from kanlab.io._export import export_program, to_onnx
from kanlab.io._run_log import CSVLogger, RunLog, TensorBoardLogger, read_history

__all__ = ["save", "load", "FORMAT", "FORMAT_VERSION", "export_program", "to_onnx",
           "RunLog", "CSVLogger", "TensorBoardLogger", "read_history", "atomic_writer",
           "atomic_write_bytes", "atomic_write_text"]
