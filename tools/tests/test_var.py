"""VAR reference (tools/reference), converter (tools/convert_var.py) and goldens (tools/var_golden.py)."""
import contextlib
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import convert_var  # noqa: E402
from nextscale_tools import safetensors_io  # noqa: E402
from nextscale_tools import var_checkpoint as vc  # noqa: E402
from reference.keys import skip_default_init  # noqa: E402
from reference.vae import build_vae, phi_index  # noqa: E402
from reference.var import build_var, infer  # noqa: E402

TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The official checkpoints' key lists (state_dict keys, shapes, dtypes of var_d16.pth and
# vae_ch160v4096z32.pth): facts about the published files, kept in the repo so this test always runs.
KEYS = os.path.join(TOOLS, "reference", "keys")
TINY = (1, 2, 3, 4)
torch.set_num_threads(1)


def parse_key_list(path):
    rows = []
    with open(path) as f:
        lines = f.read().splitlines()
    for line in lines:
        if line.strip() and not line.startswith("="):
            key, shape, dtype = line.split("\t")
            rows.append((key, shape, dtype))
    return rows


def listing(module):
    return [(k, str(tuple(v.shape)), str(v.dtype).replace("torch.", "")) for k, v in module.state_dict().items()]


class TestOfficialKeys(unittest.TestCase):
    def check(self, fname, build):
        path = os.path.join(KEYS, fname)
        with skip_default_init():  # shapes only; PyTorch's default init of 310M params takes seconds
            self.assertEqual(listing(build()), parse_key_list(path))

    def test_var_d16_keys(self):
        self.check("var_d16_keys.txt", lambda: build_var(16, init=False))

    def test_vae_keys(self):
        self.check("vae_keys.txt", lambda: build_vae(160, init=False))


def area_numpy(x, out):
    """Adaptive average pooling: bin i covers [floor(n·i/out), ceil(n·(i+1)/out))."""
    n = x.shape[-1]
    res = np.zeros(x.shape[:-2] + (out, out))
    for i in range(out):
        for j in range(out):
            r0, r1 = n * i // out, -(-n * (i + 1) // out)
            c0, c1 = n * j // out, -(-n * (j + 1) // out)
            res[..., i, j] = x[..., r0:r1, c0:c1].mean(axis=(-1, -2))
    return res


def bicubic_numpy(x, out, a=-0.75):
    """align_corners=False: src = (dst+0.5)·n/out − 0.5 (unclamped), taps clamped to the border."""
    n = x.shape[-1]

    def w(d):
        d = abs(d)
        if d <= 1:
            return ((a + 2) * d - (a + 3)) * d * d + 1
        return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a if d < 2 else 0

    m = np.zeros((out, n))
    for i in range(out):
        src = (i + 0.5) * n / out - 0.5
        base = int(np.floor(src))
        for tap in range(base - 1, base + 3):
            m[i, min(max(tap, 0), n - 1)] += w(src - tap)
    return m @ x @ m.T


class TestResampling(unittest.TestCase):
    def test_phi_table(self):
        self.assertEqual(phi_index(10), [0, 0, 1, 1, 1, 2, 2, 3, 3, 3])
        self.assertEqual(phi_index(4), [0, 1, 2, 3])

    def test_area_bins_overlap(self):
        x = np.random.RandomState(0).randn(16, 16)
        for pn in (1, 2, 3, 5, 6, 10, 13):
            got = F.interpolate(torch.from_numpy(x)[None, None], size=(pn, pn), mode="area")[0, 0].numpy()
            np.testing.assert_allclose(got, area_numpy(x, pn), atol=1e-12)

    def test_bicubic_coordinates(self):
        x = np.random.RandomState(1).randn(3, 3)
        got = F.interpolate(torch.from_numpy(x)[None, None], size=(16, 16), mode="bicubic", align_corners=False)
        np.testing.assert_allclose(got[0, 0].numpy(), bicubic_numpy(x, 16), atol=1e-12)


def save_tiny(d, var_sd=None, vae_sd=None, vae_kw=None):
    var_p, vae_p = os.path.join(d, "var.pth"), os.path.join(d, "vae.pth")
    torch.save(var_sd if var_sd is not None else build_var(2, patch_nums=TINY).state_dict(), var_p)
    torch.save(vae_sd if vae_sd is not None else build_vae(ch=32, **(vae_kw or {})).state_dict(), vae_p)
    return var_p, vae_p


def run_main(args):
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        rc = convert_var.main(args)
    return rc, err.getvalue()


class TestConvert(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.var_p, cls.vae_p = save_tiny(cls.tmp.name)
        cls.out = {}
        for dtype in ("f16", "int8"):
            out = os.path.join(cls.tmp.name, dtype)
            rc, err = run_main(["--var", cls.var_p, "--vae", cls.vae_p, "--out", out, "--dtype", dtype,
                                "--patch-nums", "1,2,3,4"])
            assert rc == 0, err
            cls.out[dtype] = out

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def tensors(self, dtype):
        with open(os.path.join(self.out[dtype], "config.json")) as f:
            cfg = json.load(f)
        t = {}
        for fn in cfg["files"]["weights"]:
            t.update(safetensors_io.load(os.path.join(self.out[dtype], fn))[0])
        return cfg, t

    def test_config(self):
        cfg, t = self.tensors("f16")
        self.assertEqual(cfg["family"], "var")
        self.assertEqual(cfg["name"], "var-d2")
        self.assertEqual(cfg["architecture"], {"depth": 2, "dim": 128, "heads": 2, "head_dim": 64, "ffn": 512,
                                               "num_classes": 1000, "attn_l2_norm": True, "shared_aln": False,
                                               "ln_eps": 1e-6})
        self.assertEqual(cfg["vae"]["phi_index"], [0, 1, 2, 3])
        self.assertEqual((cfg["vae"]["ch"], cfg["vae"]["vocab_size"], cfg["vae"]["z_channels"]), (32, 4096, 32))
        self.assertEqual(cfg["image"], {"size": 64, "scales": [1, 2, 3, 4]})
        self.assertEqual(cfg["dtype"], "f16")
        self.assertNotIn("var.lvl_1L", t)
        self.assertNotIn("vae.encoder.conv_in.weight", t)
        sd = build_var(2, patch_nums=TINY).state_dict()
        qkv = t["var.blocks.1.attn.qkv_bias"]
        self.assertTrue(torch.equal(qkv, torch.cat([sd["blocks.1.attn.q_bias"], torch.zeros(128),
                                                    sd["blocks.1.attn.v_bias"]])))

    def test_dtypes_and_manifest(self):
        for dtype, out in self.out.items():
            with open(os.path.join(out, "manifest.json")) as f:
                manifest = json.load(f)
            for entry in manifest["files"]:
                with open(os.path.join(out, entry["path"]), "rb") as f:
                    data = f.read()
                self.assertEqual((len(data), hashlib.sha256(data).hexdigest()), (entry["size"], entry["sha256"]))
                self.assertLessEqual(len(data), convert_var.SHARD_LIMIT)
        with open(os.path.join(self.out["f16"], "model-00000.safetensors"), "rb") as f:
            header = json.loads(f.read(int.from_bytes(f.read(8), "little")))
        self.assertEqual(header["var.head.weight"]["dtype"], "F16")
        self.assertEqual(header["var.class_emb.weight"]["dtype"], "F32")
        self.assertEqual(header["var.blocks.0.attn.scale_mul_1H11"]["dtype"], "F32")
        self.assertEqual(header["vae.quantize.embedding.weight"]["dtype"], "F32")
        _, t8 = self.tensors("int8")
        name = "decoder.mid.block_1.conv1.weight"  # (128, 128, 3, 3): >= 65536 elements -> I8
        w, scale = t8[f"vae.{name}"], t8[f"vae.{name}.int8_scale"]
        self.assertEqual((w.dtype, tuple(scale.shape)), (torch.int8, (128,)))
        ref = build_vae(ch=32).state_dict()[name]
        err = (w.float() * scale[:, None, None, None] - ref).abs().max().item()
        self.assertLess(err, ref.abs().max().item() / 127 * 0.51)
        self.assertEqual(t8["var.blocks.0.ffn.fc1.weight"].dtype, torch.float32)  # 128 wide: stays F16
        # 2-D matrices with both dims >= 256 (the d16 case) are quantized per output row
        big = torch.randn(300, 256)
        (_, q), (sname, s) = convert_var.encode("var.x.weight", big, "int8")
        self.assertEqual((q.dtype, sname, s.shape), (np.int8, "var.x.weight.int8_scale", (300,)))
        self.assertLess(np.abs(q * s[:, None] - big.numpy()).max(), big.abs().max().item() / 127 * 0.51)
        self.assertEqual(len(convert_var.encode("var.class_emb.weight", big, "int8")), 1)  # kept F32

    def test_sharding_splits(self):
        old = convert_var.SHARD_LIMIT
        convert_var.SHARD_LIMIT = 2 * 1024 * 1024
        try:
            out = os.path.join(self.tmp.name, "sharded")
            rc, err = run_main(["--var", self.var_p, "--vae", self.vae_p, "--out", out, "--patch-nums", "1,2,3,4"])
            self.assertEqual(rc, 0, err)
            with open(os.path.join(out, "config.json")) as f:
                cfg = json.load(f)
            self.assertGreater(len(cfg["files"]["weights"]), 2)
            for fn in cfg["files"]["weights"]:
                self.assertLessEqual(os.path.getsize(os.path.join(out, fn)), convert_var.SHARD_LIMIT)
            convert_var.SHARD_LIMIT = 100 * 1024
            rc, err = run_main(["--var", self.var_p, "--vae", self.vae_p, "--out", out, "--patch-nums", "1,2,3,4"])
            self.assertEqual(rc, 2)
            self.assertIn("error: TooLargeError", err)
        finally:
            convert_var.SHARD_LIMIT = old


class TestBadInput(unittest.TestCase):
    def expect(self, cls, var_sd=None, vae_sd=None, vae_kw=None):
        with tempfile.TemporaryDirectory() as d:
            var_p, vae_p = save_tiny(d, var_sd, vae_sd, vae_kw)
            with self.assertRaises(cls) as ctx:
                convert_var.convert(var_p, vae_p, os.path.join(d, "out"), patch_nums=TINY)
            return str(ctx.exception)

    def test_missing_extra_shape(self):
        sd = build_var(2, patch_nums=TINY).state_dict()
        del sd["blocks.1.ffn.fc2.bias"]
        self.assertIn("blocks.1.ffn.fc2.bias", self.expect(vc.MissingKeysError, var_sd=sd))
        sd = build_var(2, patch_nums=TINY).state_dict()
        sd["blocks.0.extra"] = torch.zeros(1)
        self.assertIn("blocks.0.extra", self.expect(vc.UnexpectedKeysError, var_sd=sd))
        sd = build_var(2, patch_nums=TINY).state_dict()
        sd["blocks.0.attn.proj.weight"] = torch.zeros(128, 64)
        msg = self.expect(vc.ShapeMismatchError, var_sd=sd)
        self.assertIn("[128, 128]", msg)
        self.assertIn("[128, 64]", msg)
        vae = build_vae(ch=32).state_dict()
        del vae["decoder.up.4.attn.2.qkv.weight"]
        self.expect(vc.MissingKeysError, vae_sd=vae)

    def test_vae_mismatch(self):
        self.assertIn("z_channels", self.expect(vc.VaeMismatchError, vae_kw={"z": 16}))
        self.assertIn("codebook", self.expect(vc.VaeMismatchError, vae_kw={"vocab": 1024}))

    def test_shared_aln_refused(self):
        sd = build_var(2, patch_nums=TINY).state_dict()
        sd["shared_ada_lin.1.weight"] = torch.zeros(768, 128)
        self.expect(vc.UnsupportedError, var_sd=sd)

    def test_cli_exit_code(self):
        with tempfile.TemporaryDirectory() as d:
            var_p, vae_p = save_tiny(d, vae_kw={"z": 16})
            env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
            p = subprocess.run([sys.executable, os.path.join(TOOLS, "convert_var.py"), "--var", var_p, "--vae", vae_p,
                                "--out", os.path.join(d, "o"), "--patch-nums", "1,2,3,4"],
                               capture_output=True, text=True, env=env)
            self.assertEqual(p.returncode, 2)
            self.assertIn("error: VaeMismatchError:", p.stderr)
            # 30 positions are not an official schedule: --patch-nums is required
            rc, err = run_main(["--var", var_p, "--vae", vae_p, "--out", os.path.join(d, "o")])
            self.assertEqual(rc, 2)
            self.assertIn("--patch-nums", err)


class TestConvertInTypeScript(unittest.TestCase):
    """`nextscale convert` (src/models/var/convert-pth.ts, reading the .pth in TypeScript) against this converter:
    the same shards byte for byte, f16 and int8; bad checkpoints refused with their E_ codes."""

    def cli(self, *args):
        node = shutil.which("node")
        return subprocess.run([node, os.path.join(os.path.dirname(TOOLS), "bin", "nextscale.mjs"), "convert", "--quiet", *args],
                              capture_output=True, text=True)

    def test_same_shards_as_convert_var(self):
        with tempfile.TemporaryDirectory() as d:
            var_p, vae_p = save_tiny(d)
            for dtype in ("f16", "int8"):
                py, ts = os.path.join(d, "py-" + dtype), os.path.join(d, "ts-" + dtype)
                with contextlib.redirect_stdout(io.StringIO()):
                    self.assertEqual(run_main(["--var", var_p, "--vae", vae_p, "--out", py, "--dtype", dtype,
                                               "--patch-nums", "1,2,3,4"])[0], 0)
                p = self.cli("--var", var_p, "--vae", vae_p, "--out", ts, "--dtype", dtype, "--patch-nums", "1,2,3,4")
                self.assertEqual(p.returncode, 0, p.stderr)
                shards = sorted(f for f in os.listdir(py) if f.endswith(".safetensors"))
                self.assertEqual(sorted(f for f in os.listdir(ts) if f.endswith(".safetensors")), shards)
                for f in shards:
                    with open(os.path.join(py, f), "rb") as a, open(os.path.join(ts, f), "rb") as b:
                        self.assertEqual(a.read(), b.read(), f"{dtype} {f}")
                with open(os.path.join(py, "config.json")) as a, open(os.path.join(ts, "config.json")) as b:
                    want, got = json.load(a), json.load(b)
                if want["class_names"] is None:  # torchvision absent here: Python writes no names
                    got["class_names"] = None
                self.assertEqual(got, want)

    def test_bad_checkpoints_refused_with_codes(self):
        with tempfile.TemporaryDirectory() as d:
            var_p, vae_p = save_tiny(d, vae_kw={"z": 16})
            out = os.path.join(d, "o")
            p = self.cli("--var", var_p, "--vae", vae_p, "--out", out, "--patch-nums", "1,2,3,4")
            self.assertEqual(p.returncode, 1)
            self.assertIn("nextscale: E_CHECKPOINT_LAYOUT: var word_embed in-dim is", p.stderr)
            var_p, vae_p = save_tiny(d)
            p = self.cli("--var", vae_p, "--vae", vae_p, "--out", out)  # a VAE where the transformer should be
            self.assertIn("nextscale: E_CHECKPOINT_LAYOUT: var: ", p.stderr)
            with open(var_p, "rb") as f:
                cut = f.read()
            with open(os.path.join(d, "cut.pth"), "wb") as f:
                f.write(cut[: len(cut) // 2])
            p = self.cli("--var", os.path.join(d, "cut.pth"), "--vae", vae_p, "--out", out)
            self.assertEqual(p.returncode, 1)
            self.assertIn("nextscale: E_CHECKPOINT: cut.pth:", p.stderr)
            fixtures = os.path.join(os.path.dirname(TOOLS), "src", "tests", "fixtures")
            p = self.cli("--var", os.path.join(fixtures, "os-system.pth"), "--vae", vae_p, "--out", out)
            self.assertEqual(p.returncode, 1)
            self.assertIn("nextscale: E_UNSAFE_CHECKPOINT:", p.stderr)
            self.assertFalse(os.path.exists(os.path.join(out, "manifest.json")))


class TestInfer(unittest.TestCase):
    def test_greedy_deterministic_and_cfg_t0(self):
        var, vae = build_var(2, patch_nums=TINY), build_vae(ch=32)
        a = infer(var, vae, 207, seed=0, cfg=4.0, top_k=1, patch_nums=TINY)
        b = infer(var, vae, 207, seed=5, cfg=4.0, top_k=1, patch_nums=TINY)
        self.assertEqual([c.tolist() for c in a["codes"]], [c.tolist() for c in b["codes"]])
        self.assertTrue(torch.equal(a["image"], b["image"]))
        self.assertTrue(torch.equal(a["logits"][0], a["cond_logits"][0]))  # t = 0 at scale 0
        self.assertFalse(torch.equal(a["logits"][3], a["cond_logits"][3]))
        self.assertGreater(len(set(a["codes"][3].tolist())), 1)  # not degenerate
        self.assertEqual(tuple(a["image"].shape), (1, 3, 64, 64))
        self.assertEqual(tuple(a["f_hat"].shape), (1, 32, 4, 4))


def _numbers(x):
    """Every number of a JSON value, in order."""
    if isinstance(x, list):
        return [v for y in x for v in _numbers(y)]
    if isinstance(x, dict):
        return [v for k in sorted(x) for v in _numbers(x[k])]
    return [x]


class TestGolden(unittest.TestCase):
    def test_matches_the_committed_goldens(self):
        """A fresh run of tools/var_golden.py reproduces the committed e2e/goldens/var-tiny, which the TS runtime
        is checked against: the converted weights, the manifest and the codes byte for byte; logits and f-hat
        within 1e-4 (another CPU's BLAS sums in another order: measured 2e-6 apart between two machines); the
        images within one 8-bit step."""
        import numpy as np
        from PIL import Image

        import var_golden
        committed = os.path.join(var_golden.REPO, "e2e", "goldens", "var-tiny")
        with tempfile.TemporaryDirectory() as d, contextlib.redirect_stdout(io.StringIO()):
            fresh = os.path.join(d, "a")
            var_golden.make(fresh)
            for sub in ("", "model"):
                want = sorted(f for f in os.listdir(os.path.join(committed, sub)) if f != "model")
                got = sorted(f for f in os.listdir(os.path.join(fresh, sub)) if f != "model")
                self.assertEqual(got, want, f"files of {sub or 'the goldens'}")
            for f in os.listdir(os.path.join(committed, "model")):
                with open(os.path.join(committed, "model", f), "rb") as a, open(os.path.join(fresh, "model", f), "rb") as b:
                    self.assertEqual(a.read(), b.read(), f"model/{f}")
            with open(os.path.join(committed, "index.json")) as a, open(os.path.join(fresh, "index.json")) as b:
                self.assertEqual(json.load(a), json.load(b))
            for case, *_ in var_golden.CASES:
                with open(os.path.join(committed, case + ".json")) as a, open(os.path.join(fresh, case + ".json")) as b:
                    want, got = json.load(a), json.load(b)
                self.assertEqual(sorted(got), sorted(want))
                self.assertEqual(got["scales"], want["scales"], f"{case}: codes")
                for k in want:
                    w, g = _numbers(want[k]), _numbers(got[k])
                    self.assertEqual(len(g), len(w), f"{case}.{k}")
                    if all(isinstance(v, int) for v in w) or k in ("class", "cfg", "top_k", "top_p", "seed"):
                        self.assertEqual(g, w, f"{case}.{k}")
                    else:
                        self.assertLess(float(np.max(np.abs(np.array(g, float) - np.array(w, float)))), 1e-4, f"{case}.{k}")
                img_w = np.asarray(Image.open(os.path.join(committed, case + ".png"))).astype(int)
                img_g = np.asarray(Image.open(os.path.join(fresh, case + ".png"))).astype(int)
                self.assertLessEqual(int(np.abs(img_w - img_g).max()), 1, f"{case}.png")


if __name__ == "__main__":
    unittest.main()
