"""Test fixtures for the TypeScript .pth reader (src/formats/pth.ts), written by torch.save itself:

  tiny-state.pth   an OrderedDict state dict: f32, f16, bf16, int64 tensors, a transposed (non-contiguous) view, a
                   scalar, an empty tensor, two tensors sharing one storage at different offsets, an nn.Parameter;
  tiny-state.json  each tensor's name, dtype, shape and values (row-major), the reader's expected output;
  zip64-state.pth  the same archive with zip64 headers on every entry (as torch.save writes files over 4 GB);
  state-with-21-chars-x.pth  the same state dict saved under a 21-character name: its first directory entry
                   ("<name>/data.pkl") is 76 bytes long, as long as torch's zip64 end records (a zip.js trap);
  os-system.pth    a zip whose pickle applies os.system (it must be refused unread, never run);

  /usr/bin/python3 tools/make_pth_fixtures.py [--out src/tests/fixtures]
"""
import argparse
import collections
import io
import json
import os
import pickle
import zipfile

import torch

FIXED_TIME = (2026, 1, 1, 0, 0, 0)
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def state():
    g = torch.Generator().manual_seed(0)
    base = torch.randn(6, 4, generator=g)
    shared = torch.arange(10, dtype=torch.float32)
    sd = collections.OrderedDict()
    sd["layer.weight"] = base
    sd["layer.weight_t"] = base.t()  # strides (1, 4)
    sd["half"] = torch.randn(3, 5, generator=g).half()
    sd["bf16"] = torch.randn(7, generator=g).bfloat16()
    sd["steps"] = torch.tensor([3, -2, 1 << 40], dtype=torch.int64)
    sd["scalar"] = torch.tensor(2.5)
    sd["empty"] = torch.zeros(0, 3)
    sd["shared.a"] = shared[2:5]
    sd["shared.b"] = shared[6:10].view(2, 2)
    sd["param"] = torch.nn.Parameter(torch.randn(2, 3, generator=g))
    sd._metadata = collections.OrderedDict([("", {"version": 1})])
    return sd


class Evil:
    def __reduce__(self):
        return (os.system, ("echo this must never run",))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(REPO, "src", "tests", "fixtures"))
    a = ap.parse_args()
    sd = state()
    torch.save(sd, os.path.join(a.out, "tiny-state.pth"))
    want = []
    for k, v in sd.items():
        t = v.detach()
        vals = t.float().reshape(-1).tolist() if t.is_floating_point() else [str(x) for x in t.reshape(-1).tolist()]
        want.append({"name": k, "dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape), "values": vals})
    with open(os.path.join(a.out, "tiny-state.json"), "w") as f:
        json.dump(want, f)
        f.write("\n")
    # zip64 records on every entry: what multi-GB checkpoints (VAR-d30) carry; torch.load reads it too.
    src = zipfile.ZipFile(os.path.join(a.out, "tiny-state.pth"))
    with zipfile.ZipFile(os.path.join(a.out, "zip64-state.pth"), "w", zipfile.ZIP_STORED) as z:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename.replace("tiny-state/", "zip64-state/"), FIXED_TIME)
            with z.open(zi, "w", force_zip64=True) as f:
                f.write(src.read(info))
    assert torch.load(os.path.join(a.out, "zip64-state.pth")).keys() == sd.keys()
    torch.save(sd, os.path.join(a.out, "state-with-21-chars-x.pth"))
    # A torch.save layout (archive/data.pkl) whose pickle calls os.system when loaded by pickle.
    buf = io.BytesIO()
    pickle.Pickler(buf, protocol=2).dump({"x": Evil()})
    with zipfile.ZipFile(os.path.join(a.out, "os-system.pth"), "w", zipfile.ZIP_STORED) as z:
        z.writestr(zipfile.ZipInfo("os-system/data.pkl", FIXED_TIME), buf.getvalue())  # fixed times: same bytes
        z.writestr(zipfile.ZipInfo("os-system/version", FIXED_TIME), "3\n")


if __name__ == "__main__":
    main()
