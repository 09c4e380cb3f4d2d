"""The option checks of ``kanlab train`` stay off torch's compiler stack."""
import subprocess
import sys
import textwrap
from pathlib import Path

from kanlab.cli import _exit

SRC = str(Path(_exit.__file__).resolve().parents[2])


def test_checking_the_default_options_does_not_import_torch_dynamo(tmp_path):
    """Building a model on the "meta" device ran torch's Python meta kernels, which import
    torch._dynamo (and triton where installed): a second of CPU for every run."""
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {SRC!r})
        from kanlab.cli._checks import config_from_args
        from kanlab.cli._options import build_parser
        parser = build_parser()
        args = parser.parse_args(["train", "--out", {str(tmp_path / "run")!r}])
        cfg = config_from_args(parser, args)
        assert cfg.grids == [5, 10, 20], cfg.grids
        print("dynamo" if "torch._dynamo" in sys.modules else "clean")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "clean"
