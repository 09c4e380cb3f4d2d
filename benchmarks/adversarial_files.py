"""Adversarial cases: checkpoints (save/load), data files, estimators and discover."""
from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path

from adversarial_cases import _cli, add, case, check_one_line, clean_error, finite, must_raise, \
    small_model

# ------------------------------------------------------------------ save


def _save(prepare, check=None):
    def fn(tmp: Path):
        m = small_model()
        target = prepare(tmp)
        out = clean_error(lambda: m.save(target))
        if check is not None:
            check(tmp)
        return out
    return fn


def _keep(path: str, text: str = "precious"):
    def check(tmp: Path):
        assert (tmp / path).read_text() == text, f"{path} was changed"
    return check


def _chain(tmp: Path):
    (tmp / "c").write_text("old")
    os.symlink(tmp / "c", tmp / "b")
    os.symlink(tmp / "b", tmp / "a")
    return tmp / "a"


def _dir(tmp: Path):
    (tmp / "d").mkdir()
    (tmp / "d" / "f").write_text("precious")
    return tmp / "d"


def _ro_dir(tmp: Path):
    (tmp / "ro").mkdir()
    (tmp / "ro" / "m").write_text("precious")
    os.chmod(tmp / "ro", 0o555)
    if os.geteuid() == 0:  # root writes anyway: the case then says nothing
        return tmp / "ro-as-root"
    return tmp / "ro" / "m"


def _link_loop(tmp: Path):
    os.symlink(tmp / "l2", tmp / "l1")
    os.symlink(tmp / "l1", tmp / "l2")
    return tmp / "l1"


add("save", "save through a chain of symlinks keeps every link",
    _save(_chain, lambda tmp: (os.path.islink(tmp / "a") and os.path.islink(tmp / "b")
                               and (tmp / "c").read_bytes()[:1] != b"o") or
          (_ for _ in ()).throw(AssertionError("a link was replaced or the target kept"))))
add("save", "save over a directory", _save(_dir, _keep("d/f")))
add("save", "save into a missing parent", _save(lambda tmp: tmp / "no" / "such" / "m"))
add("save", "save into a read-only directory", _save(_ro_dir, _keep("ro/m")))
add("save", "save to a symlink loop", _save(_link_loop))
add("save", "save to ''", _save(lambda tmp: ""))
add("save", "save to a path with NUL", _save(lambda tmp: str(tmp / "a\x00b")))
add("save", "save to an int path", _save(lambda tmp: 3))
add("save", "save to /dev/full", _save(lambda tmp: "/dev/full"))


@case("save", "save with a full disk leaves the old file and no temp file")
def _disk_full(tmp: Path):
    import kanlab.io._atomic as atomic
    m = small_model()
    (tmp / "m").write_text("old")
    real = os.fsync

    def full(fd):
        raise OSError(28, "No space left on device")
    atomic.os.fsync = full
    try:
        clean_error(lambda: m.save(tmp / "m"))
    finally:
        atomic.os.fsync = real
    assert (tmp / "m").read_text() == "old"
    assert sorted(p.name for p in tmp.iterdir()) == ["m"], list(tmp.iterdir())


@case("save", "concurrent saves: the file is always one whole checkpoint")
def _concurrent(tmp: Path):
    import kanlab
    models = [small_model(grid=g) for g in (3, 5, 7, 9)]
    errors = []

    def writer(m):
        try:
            for _ in range(5):
                m.save(tmp / "m")
        except Exception as err:  # noqa: BLE001
            errors.append(err)
    threads = [threading.Thread(target=writer, args=(m,)) for m in models]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert kanlab.load(tmp / "m").grid in (3, 5, 7, 9)
    assert sorted(p.name for p in tmp.iterdir()) == ["m"]


# ------------------------------------------------------------------ load


def _load(prepare, **kwargs):
    def fn(tmp: Path):
        import kanlab
        path = prepare(tmp)
        return must_raise(lambda: kanlab.load(path, **kwargs), ValueError, TypeError, OSError)
    return fn


def _socket(tmp: Path):
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(tmp / "sock"))
    return tmp / "sock"


def _sparse(tmp: Path):
    with open(tmp / "big", "wb") as f:
        f.write((100).to_bytes(8, "little") + b'{"__metadata__":{"format":"kanlab"}}'.ljust(100))
        f.truncate(20 * 2 ** 30)  # 20 GiB of holes after a small header
    return tmp / "big"


def _sparse_zero(tmp: Path):
    with open(tmp / "big0", "wb") as f:
        f.truncate(20 * 2 ** 30)
    return tmp / "big0"


def _saved(tmp: Path, edit=None):
    m = small_model()
    m.save(tmp / "m")
    if edit is not None:
        edit(tmp / "m")
    return tmp / "m"


def _edit_header(change):
    def edit(path: Path):
        raw = path.read_bytes()
        n = int.from_bytes(raw[:8], "little")
        header = json.loads(raw[8:8 + n])
        change(header)
        text = json.dumps(header).encode()
        text += b" " * (-len(text) % 8)
        path.write_bytes(len(text).to_bytes(8, "little") + text + raw[8 + n:])
    return edit


def _meta(key, value):
    def change(h):
        m = h["__metadata__"]
        if key in ("config", "layers"):
            m[key] = json.dumps(value(json.loads(m[key])))
        else:
            m[key] = value
    return change


add("load", "load /dev/zero", _load(lambda tmp: "/dev/zero"))
add("load", "load /dev/urandom", _load(lambda tmp: "/dev/urandom"))
add("load", "load a unix socket", _load(_socket))
add("load", "load a 20 GiB sparse file with a small header", _load(_sparse))
add("load", "load a 20 GiB sparse file of zeros", _load(_sparse_zero))
add("load", "load a directory", _load(lambda tmp: tmp))
add("load", "load ''", _load(lambda tmp: ""))
add("load", "load None", _load(lambda tmp: None))
add("load", "load a path with NUL", _load(lambda tmp: str(tmp / "a\x00b")))
add("load", "load map_location='cuda' without CUDA", _load(_saved, map_location="cuda"))
add("load", "load map_location='meta'", _load(_saved, map_location="meta"))
add("load", "load map_location='cuda:99'", _load(_saved, map_location="cuda:99"))
add("load", "header: 10**5 layers declared", _load(lambda tmp: _saved(tmp, _edit_header(
    _meta("layers", lambda l: l * 100000)))))
add("load", "header: width of 10**5 levels", _load(lambda tmp: _saved(tmp, _edit_header(
    _meta("config", lambda c: c | {"width": [2] * 100000})))))
add("load", "header: shape [2**62, 2**62]", _load(lambda tmp: _saved(tmp, _edit_header(
    lambda h: h["layers.0.coef"].update(shape=[2 ** 62, 2 ** 62])))))
add("load", "header: data_offsets 2**70", _load(lambda tmp: _saved(tmp, _edit_header(
    lambda h: h["layers.0.coef"].update(data_offsets=[0, 2 ** 70])))))
add("load", "header: grid 10**12 in config", _load(lambda tmp: _saved(tmp, _edit_header(
    _meta("config", lambda c: c | {"grid": 10 ** 12})))))
add("load", "header: k 10**6 in config", _load(lambda tmp: _saved(tmp, _edit_header(
    _meta("config", lambda c: c | {"k": 10 ** 6})))))
add("load", "header: mult_arity 10**9", _load(lambda tmp: _saved(tmp, _edit_header(
    _meta("config", lambda c: c | {"mult_arity": 10 ** 9, "width": [2, [0, 3], 1]})))))
add("load", "header: config base_fun '__import__'", _load(lambda tmp: _saved(tmp, _edit_header(
    _meta("config", lambda c: c | {"base_fun": "__import__('os').system('true')"})))))
add("load", "header: config seed 2**80", _load(lambda tmp: _saved(tmp, _edit_header(
    _meta("config", lambda c: c | {"seed": 2 ** 80})))))
add("load", "header: config noise_scale 'nan'", _load(lambda tmp: _saved(tmp, _edit_header(
    _meta("config", lambda c: c | {"noise_scale": "nan"})))))
add("load", "header: config grid_range [1e308, -1e308]", _load(lambda tmp: _saved(tmp, _edit_header(
    _meta("config", lambda c: c | {"grid_range": [1e308, -1e308]})))))
add("load", "header: config unknown key", _load(lambda tmp: _saved(tmp, _edit_header(
    _meta("config", lambda c: c | {"evil": 1})))))
add("load", "header: config device 'cuda'", _load(lambda tmp: _saved(tmp, _edit_header(
    _meta("config", lambda c: c | {"device": "cuda"})))))
add("load", "header: layer extrapolate 'eval'", _load(lambda tmp: _saved(tmp, _edit_header(
    _meta("layers", lambda l: [x | {"extrapolate": "eval"} for x in l])))))
add("load", "header: format_version '٣' (unicode digit)", _load(lambda tmp: _saved(tmp, _edit_header(
    _meta("format_version", "٣")))))
add("load", "header: format_version 10**5000 digits", _load(lambda tmp: _saved(tmp, _edit_header(
    _meta("format_version", "9" * 5000)))))
add("load", "header: dtype of coef changed to F32", _load(lambda tmp: _saved(tmp, _edit_header(
    lambda h: h["layers.0.coef"].update(dtype="F32")))))
add("load", "header: tensor entry with shape of bools", _load(lambda tmp: _saved(tmp, _edit_header(
    lambda h: h["layers.0.coef"].update(shape=[True, 3])))))
add("load", "header: __metadata__ with non-string values", _load(lambda tmp: _saved(tmp, _edit_header(
    lambda h: h["__metadata__"].update(extra=[1])))))
add("load", "header: data_sha256 changed by one hex digit", _load(lambda tmp: _saved(
    tmp, _edit_header(lambda h: h["__metadata__"].update(data_sha256="0" + h["__metadata__"][
        "data_sha256"][1:] if h["__metadata__"]["data_sha256"][0] != "0" else "1" + h[
        "__metadata__"]["data_sha256"][1:])))))


def _values_case(key, value):
    """A tensor set to ``value`` with a matching hash: refused, or loads a finite model."""
    def fn(tmp: Path):
        import hashlib
        import kanlab
        import torch
        m = small_model()
        state = m.state_dict()
        if key not in state:
            return "no such tensor"
        m.save(tmp / "m")
        raw = bytearray((tmp / "m").read_bytes())
        n = int.from_bytes(raw[:8], "little")
        header = json.loads(raw[8:8 + n])
        data = raw[8 + n:]
        begin, end = header[key]["data_offsets"]
        import numpy as np
        dt = {"F64": "<f8", "F32": "<f4", "I64": "<i8", "BOOL": "|b1", "U8": "|u1"}[header[key]["dtype"]]
        arr = np.frombuffer(bytes(data[begin:end]), dtype=dt).copy()
        arr[:] = value
        data[begin:end] = arr.tobytes()
        header["__metadata__"]["data_sha256"] = hashlib.sha256(bytes(data)).hexdigest()
        text = json.dumps(header).encode()
        text += b" " * (-len(text) % 8)
        (tmp / "m").write_bytes(len(text).to_bytes(8, "little") + text + bytes(data))

        def go():
            loaded = kanlab.load(tmp / "m")
            y = loaded(torch.rand(8, 2, dtype=torch.float64) * 2 - 1)
            assert finite(y), f"{key}={value} loads and the model returns non-finite values"
            return "loaded, finite"
        return clean_error(go)
    return fn


for key, value in [("layers.0.coef", 1e300), ("layers.0.scale_sp", 1e300),
                   ("layers.0.scale_base", -1e300), ("symbolic.0.mask", 0.5),
                   ("symbolic.0.mask", 7.0), ("symbolic.0.code", 10 ** 6),
                   ("symbolic.0.code", -5), ("symbolic.0.affine", 1e300),
                   ("layers.0.mask", 0.5), ("layers.0.mask", 2.0), ("layers.0.mask", -1.0)]:
    add("values", f"checkpoint {key} = {value}", _values_case(key, value))


# ------------------------------------------------------------------ data files (--data)


def _data_case(write, extra=()):
    def fn(tmp: Path):
        path = write(tmp)
        code, err = _cli(["train", "--data", str(path), "--target", "y", *extra,
                          "--out", str(tmp / "r"), "--no-progress"], stub=False)
        if code == 0:
            return "ran"
        return check_one_line(code, err)
    return fn


def _csv(text):
    def write(tmp: Path):
        (tmp / "d.csv").write_text(text)
        return tmp / "d.csv"
    return write


def _fifo(tmp: Path):
    os.mkfifo(tmp / "d.csv")
    return tmp / "d.csv"


add("data", "--data /dev/zero", _data_case(lambda tmp: "/dev/zero"))
add("data", "--data a FIFO", _data_case(_fifo))
add("data", "--data a directory", _data_case(lambda tmp: tmp))
add("data", "--data binary garbage", _data_case(lambda tmp: (tmp / "g.csv").write_bytes(
    os.urandom(4096)) and tmp / "g.csv"))
add("data", "--data duplicate column names", _data_case(_csv("a,a,y\n" + "1,2,3\n" * 50)))
add("data", "--data a column named __import__", _data_case(_csv(
    "__import__,y\n" + "".join(f"{i},{2 * i}\n" for i in range(50))), ["--jobs", "1"]))
add("data", "--data one row", _data_case(_csv("a,y\n1,2\n")))
add("data", "--data no target", _data_case(_csv("a,b\n1,2\n")))
add("data", "--data --features ,,,", _data_case(_csv("a,y\n1,2\n"), ["--features", ",,,"]))
add("data", "--data a 20 GiB sparse csv", _data_case(_sparse_zero))
add("data", "--data a .npz with pickled objects", _data_case(
    lambda tmp: (__import__("numpy").savez(tmp / "d.npz", X=__import__("numpy").array(
        [object()] * 4, dtype=object), y=[1, 2, 3, 4]), tmp / "d.npz")[1]))


# ------------------------------------------------------------------ estimators and discover


def _estimator(make_xy, cls="KANRegressor", **params):
    def fn(tmp: Path):
        import numpy as np
        from kanlab import sklearn as ks
        X, y = make_xy(np)

        def go():
            est = getattr(ks, cls)(**({"max_iter": 5} | params) if "max_iter" in getattr(ks, cls)().get_params() else params)
            est.fit(X, y)
            p = est.predict(X)
            assert np.all(np.isfinite(np.asarray(p, dtype=float))), "non-finite predictions"
            return "fitted"
        return clean_error(go)
    return fn


for name, make in [
    ("one row", lambda np: (np.ones((1, 2)), np.ones(1))),
    ("NaN in X", lambda np: (np.full((20, 2), np.nan), np.ones(20))),
    ("int X", lambda np: (np.arange(40).reshape(20, 2), np.arange(20.0))),
    ("float16 X", lambda np: (np.random.default_rng(0).random((20, 2)).astype(np.float16), np.arange(20.0))),
    ("strings X", lambda np: (np.array([["a", "b"]] * 20), np.arange(20.0))),
    ("y 2-D column", lambda np: (np.random.default_rng(0).random((20, 2)), np.arange(20.0)[:, None])),
    ("y constant", lambda np: (np.random.default_rng(0).random((20, 2)), np.ones(20))),
    ("X 1e-300 scale", lambda np: (np.random.default_rng(0).random((30, 2)) * 1e-300, np.arange(30.0))),
    ("X 1e9 offset", lambda np: (np.random.default_rng(0).random((30, 2)) + 1e9, np.arange(30.0))),
    ("y 1e-300 scale", lambda np: (np.random.default_rng(0).random((30, 2)), np.arange(30.0) * 1e-300)),
    ("duplicated rows", lambda np: (np.ones((30, 2)), np.ones(30))),
    ("empty X", lambda np: (np.ones((0, 2)), np.ones(0))),
]:
    add("sklearn", f"KANRegressor on {name}", _estimator(make))


def _discover(make, **kwargs):
    def fn(tmp: Path):
        import numpy as np
        import kanlab
        X, y, names = make(np)
        return clean_error(lambda: str(kanlab.discover(X, y, names=names, n_jobs=1,
                                                       time_budget=5, **kwargs).formula))
    return fn


for name, make in [
    ("names ['x', 'x']", lambda np: (np.random.default_rng(0).random((40, 2)), np.arange(40.0), ["x", "x"])),
    ("names ['lambda', 'y']", lambda np: (np.random.default_rng(0).random((40, 2)), np.arange(40.0), ["lambda", "pi"])),
    ("names ['__import__', 'E']", lambda np: (np.random.default_rng(0).random((40, 2)), np.arange(40.0), ["__import__", "E"])),
    ("one row", lambda np: (np.ones((1, 1)), np.ones(1), ["a"])),
    ("y constant", lambda np: (np.random.default_rng(0).random((40, 1)), np.ones(40), ["a"])),
    ("names too few", lambda np: (np.random.default_rng(0).random((40, 2)), np.arange(40.0), ["a"])),
]:
    add("discover", f"discover with {name}", _discover(make))
