"""Minimal GGUF v3 writer and ggml quantisers for the LLM test models.

Written for inferd's tests (no gguf-py dependency: Debian ships none). Tensors
are numpy arrays in PyTorch layout [out, in]; GGUF stores the row length
first, so shape [in, out] is written. Quantisers follow the published block
formats (Q8_0, Q4_0: 32 values per block with an f16 scale) and return both the
packed bytes and the exactly dequantised values, so the reference forward pass
sees the same weights the engine reads.
"""

import struct

import numpy as np

GGUF_MAGIC = 0x46554747
ALIGN = 32

TYPE_F32, TYPE_F16, TYPE_Q4_0, TYPE_Q8_0, TYPE_BF16 = 0, 1, 2, 8, 30
TYPE_Q4_K, TYPE_Q6_K = 12, 14
TYPE_NAMES = {"f32": TYPE_F32, "f16": TYPE_F16, "bf16": TYPE_BF16,
              "q8_0": TYPE_Q8_0, "q4_0": TYPE_Q4_0, "q4_k": TYPE_Q4_K,
              "q6_k": TYPE_Q6_K}

V_UINT32, V_INT32, V_FLOAT32, V_BOOL, V_STRING, V_ARRAY = 4, 5, 6, 7, 8, 9


def _str(s):
    b = s.encode("utf-8") if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


def f32_to_bf16_bits(x):
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return bits.astype(np.uint16)


def bf16_bits_to_f32(b):
    return (b.astype(np.uint32) << 16).view(np.float32)


def quantize(x, type_id):
    """Returns (bytes, dequantised float32 array of x's shape)."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    if type_id == TYPE_F32:
        return x.tobytes(), x.copy()
    if type_id == TYPE_F16:
        h = x.astype(np.float16)
        return h.tobytes(), h.astype(np.float32)
    if type_id == TYPE_BF16:
        b = f32_to_bf16_bits(x)
        return b.tobytes(), bf16_bits_to_f32(b).reshape(x.shape)
    blocks = x.reshape(-1, 32)
    if type_id == TYPE_Q8_0:
        amax = np.abs(blocks).max(axis=1)
        d = (amax / 127.0).astype(np.float32)
        inv = np.where(d > 0, 1.0 / np.where(d > 0, d, 1), 0).astype(np.float32)
        q = np.round(blocks * inv[:, None]).astype(np.int8)
        d16 = d.astype(np.float16)
        rec = np.zeros(len(blocks), dtype=[("d", "<f2"), ("qs", "i1", 32)])
        rec["d"] = d16
        rec["qs"] = q
        deq = q.astype(np.float32) * d16.astype(np.float32)[:, None]
        return rec.tobytes(), deq.reshape(x.shape)
    if type_id == TYPE_Q4_0:
        idx = np.abs(blocks).argmax(axis=1)
        mx = blocks[np.arange(len(blocks)), idx]
        d = (mx / -8.0).astype(np.float32)
        inv = np.where(d != 0, 1.0 / np.where(d != 0, d, 1), 0).astype(np.float32)
        q = np.minimum(15, np.trunc(blocks * inv[:, None] + 8.5)).astype(np.uint8)
        d16 = d.astype(np.float16)
        rec = np.zeros(len(blocks), dtype=[("d", "<f2"), ("qs", "u1", 16)])
        rec["d"] = d16
        rec["qs"] = q[:, :16] | (q[:, 16:] << 4)
        deq = (q.astype(np.float32) - 8.0) * d16.astype(np.float32)[:, None]
        return rec.tobytes(), deq.reshape(x.shape)
    if type_id == TYPE_Q4_K:
        return _quantize_q4_k(x.reshape(-1, 256), x.shape)
    if type_id == TYPE_Q6_K:
        return _quantize_q6_k(x.reshape(-1, 256), x.shape)
    raise ValueError(f"unsupported type {type_id}")


def _f16(v):
    return np.asarray(v, dtype=np.float32).astype(np.float16)


def _quantize_q4_k(blocks, shape):
    """Q4_K: 8 sub-blocks of 32 with 6-bit scale/min; x ~ d*sc*q - dmin*m."""
    nb = len(blocks)
    sub = blocks.reshape(nb, 8, 32)
    lo = np.minimum(sub.min(axis=2), 0.0)
    hi = sub.max(axis=2)
    scale = (hi - lo) / 15.0
    mins = -lo
    d16 = _f16(scale.max(axis=1) / 63.0)
    dmin16 = _f16(mins.max(axis=1) / 63.0)
    d = d16.astype(np.float32)[:, None]
    dmin = dmin16.astype(np.float32)[:, None]
    sc = np.clip(np.round(np.where(d > 0, scale / np.where(d > 0, d, 1), 0)), 0, 63).astype(np.uint8)
    m = np.clip(np.round(np.where(dmin > 0, mins / np.where(dmin > 0, dmin, 1), 0)), 0, 63).astype(np.uint8)
    step = (d * sc)[:, :, None]
    off = (dmin * m)[:, :, None]
    q = np.clip(np.round(np.where(step > 0, (sub + off) / np.where(step > 0, step, 1), 0)), 0, 15).astype(np.uint8)
    deq = step * q - off
    packed = np.zeros((nb, 12), dtype=np.uint8)
    for j in range(4):
        packed[:, j] = (sc[:, j] & 63) | ((sc[:, j + 4] >> 4) << 6)
        packed[:, j + 4] = (m[:, j] & 63) | ((m[:, j + 4] >> 4) << 6)
        packed[:, j + 8] = (sc[:, j + 4] & 0xF) | ((m[:, j + 4] & 0xF) << 4)
    qs = np.zeros((nb, 128), dtype=np.uint8)
    for k in range(4):
        qs[:, 32 * k:32 * k + 32] = q[:, 2 * k, :] | (q[:, 2 * k + 1, :] << 4)
    rec = np.zeros(nb, dtype=[("d", "<f2"), ("dmin", "<f2"), ("sc", "u1", 12), ("qs", "u1", 128)])
    rec["d"], rec["dmin"], rec["sc"], rec["qs"] = d16, dmin16, packed, qs
    return rec.tobytes(), deq.reshape(shape).astype(np.float32)


def _quantize_q6_k(blocks, shape):
    """Q6_K: 16 groups of 16 with int8 scales; 6-bit values offset by 32."""
    nb = len(blocks)
    grp = blocks.reshape(nb, 16, 16)
    scale = np.abs(grp).max(axis=2) / 31.0
    d16 = _f16(scale.max(axis=1) / 127.0)
    d = d16.astype(np.float32)[:, None]
    sc = np.clip(np.round(np.where(d > 0, scale / np.where(d > 0, d, 1), 0)), -128, 127).astype(np.int8)
    step = (d * sc)[:, :, None]
    q = np.clip(np.round(np.where(step != 0, grp / np.where(step != 0, step, 1), 0)), -32, 31)
    deq = step * q
    v = (q + 32).astype(np.uint8).reshape(nb, 256)
    ql = np.zeros((nb, 128), dtype=np.uint8)
    qh = np.zeros((nb, 64), dtype=np.uint8)
    for n in range(2):
        q1 = v[:, n * 128 + 0:n * 128 + 32]
        q2 = v[:, n * 128 + 32:n * 128 + 64]
        q3 = v[:, n * 128 + 64:n * 128 + 96]
        q4 = v[:, n * 128 + 96:n * 128 + 128]
        ql[:, n * 64:n * 64 + 32] = (q1 & 0xF) | ((q3 & 0xF) << 4)
        ql[:, n * 64 + 32:n * 64 + 64] = (q2 & 0xF) | ((q4 & 0xF) << 4)
        qh[:, n * 32:n * 32 + 32] = (q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6)
    rec = np.zeros(nb, dtype=[("ql", "u1", 128), ("qh", "u1", 64), ("sc", "i1", 16), ("d", "<f2")])
    rec["ql"], rec["qh"], rec["sc"], rec["d"] = ql, qh, sc, d16
    return rec.tobytes(), deq.reshape(shape).astype(np.float32)


class GgufWriter:
    def __init__(self):
        self.kv = []
        self.tensors = []  # (name, type, ggml_shape, bytes)

    def add_u32(self, k, v):
        self.kv.append(_str(k) + struct.pack("<I", V_UINT32) + struct.pack("<I", v))

    def add_f32(self, k, v):
        self.kv.append(_str(k) + struct.pack("<I", V_FLOAT32) + struct.pack("<f", v))

    def add_bool(self, k, v):
        self.kv.append(_str(k) + struct.pack("<I", V_BOOL) + struct.pack("<B", 1 if v else 0))

    def add_str(self, k, v):
        self.kv.append(_str(k) + struct.pack("<I", V_STRING) + _str(v))

    def add_str_array(self, k, vs):
        body = b"".join(_str(v) for v in vs)
        self.kv.append(_str(k) + struct.pack("<IIQ", V_ARRAY, V_STRING, len(vs)) + body)

    def add_f32_array(self, k, vs):
        body = np.asarray(vs, dtype=np.float32).tobytes()
        self.kv.append(_str(k) + struct.pack("<IIQ", V_ARRAY, V_FLOAT32, len(vs)) + body)

    def add_i32_array(self, k, vs):
        body = np.asarray(vs, dtype=np.int32).tobytes()
        self.kv.append(_str(k) + struct.pack("<IIQ", V_ARRAY, V_INT32, len(vs)) + body)

    def add_tensor(self, name, type_id, ggml_shape, data):
        self.tensors.append((name, type_id, list(ggml_shape), data))

    def write(self, path):
        head = struct.pack("<IIQQ", GGUF_MAGIC, 3, len(self.tensors), len(self.kv))
        head += b"".join(self.kv)
        offset = 0
        offsets = []
        for name, t, shape, data in self.tensors:
            offsets.append(offset)
            offset += (len(data) + ALIGN - 1) // ALIGN * ALIGN
        for (name, t, shape, data), off in zip(self.tensors, offsets):
            head += _str(name) + struct.pack("<I", len(shape))
            head += b"".join(struct.pack("<Q", d) for d in shape)
            head += struct.pack("<IQ", t, off)
        head += b"\0" * ((-len(head)) % ALIGN)
        with open(path, "wb") as f:
            f.write(head)
            for _, _, _, data in self.tensors:
                f.write(data)
                f.write(b"\0" * ((-len(data)) % ALIGN))
