"""Minimal safetensors writer/reader (json + struct; no safetensors package on this machine)."""
import json
import struct

import numpy as np
import torch

_DTYPES = {"F16": np.float16, "F32": np.float32, "I64": np.int64, "I8": np.int8, "U8": np.uint8}
_NAMES = {np.dtype(v): k for k, v in _DTYPES.items()}


def save(path, tensors, dtype="F16", metadata=None):
    """tensors: {name: torch.Tensor}; stored in sorted name order, contiguous little-endian, header padded to 8."""
    np_dtype = _DTYPES[dtype]
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        arr = tensors[name].detach().cpu().float().numpy().astype(np_dtype)
        if dtype == "F16" and not np.isfinite(arr).all():
            raise ValueError(f"{name}: overflows float16")
        raw = arr.astype(np.dtype(np_dtype).newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    hjson = json.dumps(header, separators=(",", ":")).encode()
    hjson += b" " * ((8 - len(hjson) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)


def header_bytes(header):
    """JSON header padded with spaces to a multiple of 8 so the data section starts 8-aligned."""
    hjson = json.dumps(header, separators=(",", ":")).encode()
    return hjson + b" " * ((8 - len(hjson) % 8) % 8)


def layout(arrays, metadata=None):
    """arrays: [(name, np.ndarray)] in file order -> (header dict, total file size). No holes between
    tensors (safetensors rule); callers order by itemsize if they want naturally aligned offsets."""
    header, offset = {}, 0
    for name, arr in arrays:
        header[name] = {"dtype": _NAMES[arr.dtype], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + arr.nbytes]}
        offset += arr.nbytes
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    return header, 8 + len(header_bytes(header)) + offset


def save_arrays(path, arrays, metadata=None):
    """Writes [(name, np.ndarray)] as given: each tensor keeps its own dtype (F32/F16/I8/I64)."""
    header, size = layout(arrays, metadata)
    hjson = header_bytes(header)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for _, arr in arrays:
            f.write(np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes())
    return size


def load(path):
    """Returns {name: float32 torch.Tensor} (f16 upcast to f32) and the metadata dict."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    out = {}
    for name, h in header.items():
        a, b = h["data_offsets"]
        arr = np.frombuffer(data[a:b], dtype=np.dtype(_DTYPES[h["dtype"]]).newbyteorder("<")).reshape(h["shape"])
        out[name] = torch.from_numpy(arr.astype(np.float32 if h["dtype"] == "F16" else arr.dtype))
    return out, meta
