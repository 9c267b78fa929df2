"""The quick training run end to end (train -> export -> goldens twice, byte-identical). About a minute."""
import filecmp
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


class TestQuickRun(unittest.TestCase):
    def test_quick_train_export_golden(self):
        import train
        from export import export
        from golden import make_goldens
        with tempfile.TemporaryDirectory() as d:
            run = os.path.join(d, "run")
            train.main(["--quick", "--run-dir", run])
            model = os.path.join(d, "model")
            total = export(run, model)
            self.assertLess(total, 40 * 1024 * 1024)
            for fn in ("config.json", "model.safetensors", "vq.safetensors", "tokenizer.json", "manifest.json"):
                self.assertTrue(os.path.exists(os.path.join(model, fn)), fn)
            # the recipe ends with the decoder's fine-tune on the LM's samples (train.quick_overrides: 6 of them)
            with open(os.path.join(model, "config.json")) as f:
                self.assertEqual(json.load(f)["training"]["decoder_sample_finetune"]["samples"], 6)
            self.assertEqual(len(os.listdir(os.path.join(run, "lm_samples"))), 1)
            prompts = [("p", "a large red circle in the center on a blue background")]
            make_goldens(model, os.path.join(d, "g1"), prompts, seeds=[3])
            make_goldens(model, os.path.join(d, "g2"), prompts, seeds=[3])
            files = sorted(os.listdir(os.path.join(d, "g1")))
            with open(os.path.join(d, "g1", "index.json")) as f:
                t2i = [c for c in json.load(f)["cases"] if c["kind"] == "t2i"]
            # seed 3, or the next seed whose draws are all clear of a sampling boundary
            self.assertEqual(len(t2i), 1)
            self.assertGreaterEqual(t2i[0]["seed"], 3)
            self.assertIn(t2i[0]["name"] + ".json", files)
            self.assertIn(t2i[0]["name"] + ".png", files)
            _, mismatch, errors = filecmp.cmpfiles(os.path.join(d, "g1"), os.path.join(d, "g2"), files, shallow=False)
            self.assertEqual((mismatch, errors), ([], []))



class TestGoldensMatchTheShippedModel(unittest.TestCase):
    def test_golden_index_names_the_shipped_manifest(self):
        """The committed goldens record the sha256 of the manifest they were made from; a re-export without
        rerunning tools/golden.py leaves them describing another model."""
        import hashlib
        repo = os.path.join(os.path.dirname(__file__), "..", "..")
        with open(os.path.join(repo, "models", "nextscale-tiny", "manifest.json"), "rb") as f:
            shipped = hashlib.sha256(f.read()).hexdigest()
        with open(os.path.join(repo, "e2e", "goldens", "nextscale-tiny", "index.json")) as f:
            self.assertEqual(json.load(f)["model_manifest_sha256"], shipped,
                             "rerun tools/golden.py: the goldens were made for another export of the model")


if __name__ == "__main__":
    unittest.main()
