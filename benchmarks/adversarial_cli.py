"""Adversarial cases: ``kanlab train`` options and run directories."""
from __future__ import annotations

import json
import os
from pathlib import Path

from adversarial_cases import (SMALL, add, case, check_one_line, cli_checked,
                               cli_run, copy_run, _cli)

# ------------------------------------------------------------------ formulas: cost and syntax
for text in ["2**2**2**2**2", "factorial(10**6)", "x**(10**9)", "x**(10**400)", "9**9**9*x",
             "exp(exp(exp(x)))*1e308", "(x+1)**(2**64)", "x*10**-400", "x*1e-400", "sin(x)**1e308",
             "1/(x-x)", "x/0", "gamma(x)", "x**x**x**x**x**x**x", "+".join(["x"] * 20000),
             "(" * 3000 + "x" + ")" * 3000, "-" * 5000 + "x", "sin(" * 400 + "x" + ")" * 400,
             "x1000000", "x0", "", "   ", "é", "𝑥+y", "x\x00", "__import__('os')", "x.real",
             "lambda: x", "[x]", "x if y else 1", "x@y", "x; y", "x==y", "x<y", "f(x)", "sin(x, y)",
             "sin()", "1e999*x", "0x10*x", "1_000*x", "x**-1", "abs(x)**0.5*y", "sqrt(-1-x**2)",
             "log(0*x)", "asin(2+x)", "x*nan", "x*inf", "x*oo", "x*zoo", "x*I", "E**x", "Abs(x)",
             "exp(x)**exp(x)**exp(x)", "tanh(1e308*x)"]:
    add("formula", f"--function {text[:40]!r}", cli_checked(["--function", text]))

# ------------------------------------------------------------------ numeric options
BAD_NUMBERS = {
    "--grid": ["0", "-1", "5,,10", "1e3", "99999999999999999999", "a", "", "5;10", "1", "100000"],
    "--k": ["-1", "3.5", "nan", "", "99999999999999999999"],
    "--steps": ["0", "-1", "", "1.5"],
    "--test-num": ["0", "-5", "100000000"],
    "--train-num": ["10000001", "nan"],
    "--mult-arity": ["0", "-1", str(2 ** 63)],
    "--n-var": ["0", "-1", "1001", "1.5"],
    "--seed": ["-1", str(2 ** 70), "nan", str(-2 ** 70)],
    "--threads": ["0", "100000", "-1"],
    "--node-th": ["nan", "inf", "-1", "1e400"],
    "--r2-threshold": ["nan", "-0.1", "1.1", "inf"],
    "--lr": ["0", "-1", "nan", "1e-400", "1e400"],
    "--lamb": ["nan", "-1", "1e400"],
    "--lamb-smooth": ["inf", "1e400"],
    "--ddp-timeout": ["nan", "inf", "-1", "1e300", "1e-300"],
    "--width": ["2,0,1", "2,-5,1", "2,1e9,1", "2", "2,[0,0],1", "2,[1,1,1],1", "2,\"a\",1",
                "2,5.5,1", "2,true,1", "2,[1e9,0],1", "2,[-1,2],1", "2,null,1", "{}", "[]",
                "2,1000000000,1", "2,5,1,", ",", "[2,5,1],[1]", "2,5,0"],
    "--ranges": ["1,1", "1,nan", "inf,1", "-1,1,2", "", ";", "a,b", "1e308,-1e308",
                 "[[1,2],[3]]", "[1,\"2\"]", "[true,2]", "-1,1;-1,1;-1,1", "0,1e-320",
                 "[[0,1],[0,1e-320]]"],
    "--jobs": ["0", "-1"],
}
for option, values in BAD_NUMBERS.items():
    for value in values:
        extra = ["--data", "/nonexistent.csv", "--target", "y"] if option == "--jobs" else []
        add("option", f"{option} {value!r}", cli_checked([*extra, f"{option}={value}"]))

# ------------------------------------------------------------------ --out and --resume paths
@case("path", "--out is a regular file")
def _out_file(tmp: Path):
    (tmp / "f").write_text("keep")
    code, err = _cli(["train", *SMALL, "--out", str(tmp / "f")], stub=True)
    check_one_line(code, err)
    assert (tmp / "f").read_text() == "keep"


@case("path", "--out ''")
def _out_empty(tmp: Path):
    os.chdir(tmp)
    (tmp / "history.csv").write_text("mine\n")
    code, err = _cli(["train", *SMALL, "--out", ""], stub=True)
    if code == "reached":
        raise AssertionError("an empty --out was accepted: the run would write into the "
                             "current directory")
    check_one_line(code, err)


@case("path", "--out with a NUL byte")
def _out_nul(tmp: Path):
    code, err = _cli(["train", *SMALL, "--out", str(tmp / "a\x00b")], stub=True)
    check_one_line(code, err)


@case("path", "--out under a read-only directory")
def _out_ro(tmp: Path):
    (tmp / "ro").mkdir()
    os.chmod(tmp / "ro", 0o555)
    if os.geteuid() == 0:
        return "skipped as root"
    code, err = _cli(["train", *SMALL, "--out", str(tmp / "ro" / "r")], stub=True)
    check_one_line(code, err, "not writable")


@case("path", "--out is a dangling symlink")
def _out_dangling(tmp: Path):
    os.symlink(tmp / "nowhere" / "deeper", tmp / "link")
    code, err = _cli(["train", *SMALL, "--out", str(tmp / "link")], stub=True)
    if code != "reached":
        check_one_line(code, err)


@case("path", "--out is a symlink to a finished run")
def _out_link_to_run(tmp: Path):
    run = copy_run("completed", tmp)
    os.symlink(run, tmp / "link")
    before = (run / "model.safetensors").read_bytes()
    code, err = _cli(["train", *SMALL, "--out", str(tmp / "link")], stub=True)
    check_one_line(code, err, "already holds")
    assert (run / "model.safetensors").read_bytes() == before


@case("path", "--out /dev/null")
def _out_devnull(tmp: Path):
    code, err = _cli(["train", *SMALL, "--out", "/dev/null"], stub=True)
    check_one_line(code, err)


for target in ["", "/nonexistent/dir", "/dev/null", "a\x00b", "file"]:
    def _resume_path(tmp: Path, target=target):
        if target == "file":
            (tmp / "file").write_text("x")
            target = str(tmp / "file")
        code, err = _cli(["train", "--resume", target, "--no-progress"], stub=True)
        check_one_line(code, err)
    add("path", f"--resume {target!r}", _resume_path)


# ------------------------------------------------------------------ damaged run directories
def _damage(name: str, what: str, change):
    def fn(tmp: Path):
        run = copy_run(name, tmp)
        change(run)
        code, err = _cli(["train", "--resume", str(run), "--no-progress"], stub=True)
        if code == "reached":
            return "accepted"
        return check_one_line(code, err)
    add("resume", f"{name}: {what}", fn)


def _progress_edit(**changes):
    def change(run: Path):
        state = json.loads((run / "progress.json").read_text())
        for key, value in changes.items():
            if "." in key:
                outer, inner = key.split(".")
                state[outer][inner] = value
            else:
                state[key] = value
        (run / "progress.json").write_text(json.dumps(state))
    return change


for key, value in [("next", 10 ** 30), ("next", -1), ("next", "1"), ("next", 1.5),
                   ("steps_done", -5), ("checkpoint", "../completed/model.safetensors"),
                   ("checkpoint", "/etc/passwd"), ("checkpoint", 7), ("checkpoint", ""),
                   ("history_rows", 10 ** 12), ("wall_time", "nan"), ("records", [None, 1]),
                   ("histories", [[0, {"train_loss": "x"}]]), ("status", 5),
                   ("config.width", [2, 10 ** 6, 1]), ("config.grids", [3, 10 ** 9]),
                   ("config.steps", 10 ** 12), ("config.function", "x+exp(10**25000)"),
                   ("config.function", "__import__('os').system('true')"),
                   ("config.mult_arity", 10 ** 6), ("config.width", [2, [0, 3], 1]),
                   ("config.k", 50), ("config.train_num", 10 ** 9), ("config.ranges", [1e308, -1e308]),
                   ("config.ranges", "abc"), ("config.dtype", "int8"), ("config.lr", -1),
                   ("config.lr", "nan"), ("config.opt", "SGD"), ("config.basis", "nope"),
                   ("config.lamb", float("inf")), ("config.seed", 2 ** 80),
                   ("config.r2_threshold", 5), ("config.node_th", "a"),
                   ("config.tensorboard", True), ("config.width", [3, 5, 1]),
                   ("config.grids", []), ("config.n_var", 0), ("config.digits", -3),
                   ("config.refine_steps", 0), ("config.edge_th", float("nan"))]:
    _damage("interrupted", f"progress {key}={str(value)[:30]}", _progress_edit(**{key: value}))


def _write(name: str, data):
    def change(run: Path):
        path = run / name
        if path.is_dir():
            os.rmdir(path)
        else:
            path.unlink(missing_ok=True)
        if data == "dir":
            path.mkdir()
        elif data == "fifo":
            os.mkfifo(path)
        elif data == "zero-link":
            os.symlink("/dev/zero", path)
        elif data is not None:
            path.write_bytes(data)
    return change


def _ckpt(run: Path) -> str:
    return json.loads((run / "progress.json").read_text())["checkpoint"]


for label, data in [("missing", None), ("directory", "dir"), ("fifo", "fifo"),
                    ("binary", b"\xff\xfe\x00" * 100), ("truncated row", b"step,train_loss\n1,0.3"),
                    ("zero-link", "zero-link")]:
    _damage("interrupted", f"history.csv {label}", _write("history.csv", data))
for label, data in [("fifo", "fifo"), ("directory", "dir"), ("zero-link", "zero-link"),
                    ("empty", b""), ("utf-16", "{}".encode("utf-16"))]:
    _damage("interrupted", f"progress.json {label}", _write("progress.json", data))
for label, data in [("directory", "dir"), ("fifo", "fifo"), ("read-only garbage", b"12345")]:
    _damage("interrupted", f"run.lock {label}", _write("run.lock", data))


def _ckpt_damage(kind):
    def change(run: Path):
        path = run / _ckpt(run)
        if kind == "zero-link":
            path.unlink()
            os.symlink("/dev/zero", path)
        elif kind == "bigger":
            with open(path, "ab") as f:
                f.write(b"\0" * 16)
        elif kind == "swap":
            other = copy_run("completed", run.parent) / "model.safetensors"
            path.write_bytes(other.read_bytes())
    return change


for kind in ["zero-link", "bigger", "swap"]:
    _damage("interrupted", f"checkpoint {kind}", _ckpt_damage(kind))


@case("resume", "completed: metrics.json damaged, run again without --overwrite")
def _metrics_damaged(tmp: Path):
    run = copy_run("completed", tmp)
    (run / "metrics.json").write_text("{")
    code, err = _cli(["train", *SMALL, "--out", str(run)], stub=True)
    check_one_line(code, err, "already holds")


@case("resume", "run.lock a symlink to a user file is not truncated")
def _lock_symlink(tmp: Path):
    run = copy_run("interrupted", tmp)
    (tmp / "precious").write_text("my data")
    os.symlink(tmp / "precious", run / "run.lock")
    code, err = _cli(["train", "--resume", str(run), "--no-progress"], stub=True)
    assert (tmp / "precious").read_text() == "my data", "the lock truncated the link's target"


@case("resume", "--overwrite keeps files that are not the run's")
def _overwrite_keeps(tmp: Path):
    run = copy_run("completed", tmp)
    (run / "notes.txt").write_text("mine")
    code, err = _cli(["train", *SMALL, "--out", str(run), "--overwrite"], stub=True)
    assert code == "reached", err[-300:]
    assert (run / "notes.txt").read_text() == "mine"
    assert not (run / "metrics.json").exists()


@case("resume", "interrupted run resumed for real")
def _resume_real(tmp: Path):
    run = copy_run("interrupted", tmp)
    out = cli_run(["--resume", str(run), "--no-progress"], tmp, expect_ok=True)
    state = json.loads((run / "progress.json").read_text())
    assert state["status"] == "completed", state["status"]
    return out


@case("resume", "interrupted run with an empty history.csv resumed for real")
def _resume_empty_history(tmp: Path):
    run = copy_run("interrupted", tmp)
    (run / "history.csv").write_bytes(b"")
    out = cli_run(["--resume", str(run), "--no-progress"], tmp)
    return out


@case("run", "--ranges 1e307,1.5e307 trains or refuses")
def _huge_range_run(tmp: Path):
    return cli_run([*SMALL, "--no-symbolic", "--ranges", "1e307,1.5e307", "--function", "x",
                    "--out", str(tmp / "r")], tmp)


@case("run", "--ranges 1e9,1e9+1 (offset) in float32 trains or refuses")
def _offset_range_run(tmp: Path):
    return cli_run([*SMALL, "--no-symbolic", "--ranges", "1000000000,1000000001",
                    "--dtype", "float32", "--function", "x-1000000000",
                    "--out", str(tmp / "r")], tmp)


@case("run", "--function 1e300*x trains or refuses")
def _huge_labels_run(tmp: Path):
    return cli_run([*SMALL, "--no-symbolic", "--function", "1e300*x", "--out", str(tmp / "r")],
                   tmp)


@case("resume", "--overwrite of a run whose history.csv is a directory")
def _overwrite_dir(tmp: Path):
    run = copy_run("completed", tmp)
    (run / "history.csv").unlink()
    (run / "history.csv").mkdir()
    code, err = _cli(["train", *SMALL, "--out", str(run), "--overwrite"], stub=True)
    if code != "reached":
        check_one_line(code, err)


@case("resume", "new run in a directory whose progress.json is a FIFO")
def _new_fifo(tmp: Path):
    (tmp / "r").mkdir()
    os.mkfifo(tmp / "r" / "progress.json")
    code, err = _cli(["train", *SMALL, "--out", str(tmp / "r")], stub=True)
    check_one_line(code, err)


def _damage_real(what: str, change):
    """Damage accepted by the checks: the real resume must finish or stop with one line."""
    def fn(tmp: Path):
        run = copy_run("interrupted", tmp)
        change(run)
        return cli_run(["--resume", str(run), "--no-progress"], tmp)
    add("resume-real", f"interrupted, resumed for real: {what}", fn)


for key, value in [("records", [None, 1]), ("histories", [[0, {"train_loss": "x"}]]),
                   ("status", 5), ("history_rows", 10 ** 12)]:
    _damage_real(f"progress {key}={str(value)[:30]}", _progress_edit(**{key: value}))
for label, data in [("binary", b"\xff\xfe\x00" * 100), ("truncated row", b"step,train_loss\n1,0.3")]:
    _damage_real(f"history.csv {label}", _write("history.csv", data))
_damage_real("checkpoint swap", _ckpt_damage("swap"))
