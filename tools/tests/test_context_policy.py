"""The reference context policy (context_policy.py) agrees with the engine's rules (src/engine/context-policy.ts)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from nextscale_tools.context_policy import ContextTooLong, fit_conversation  # noqa: E402

IMG = 50


def msg(role, text=None, image=False):
    return {"role": role, "parts": ([{"codes": [[0]]}] if image else []) + ([{"text": text}] if text else [])}


def count(messages):  # 1 token per word, IMG per image, 2 for <bos> and the opening <assistant>
    return 2 + sum(len(p["text"].split()) if "text" in p else IMG for m in messages for p in m["parts"])


class TestContextPolicy(unittest.TestCase):
    def test_fits_unchanged(self):
        conv = [msg("user", "a b c")]
        self.assertEqual(fit_conversation(conv, 100, IMG, count), (conv, None))

    def test_drops_oldest_but_keeps_the_latest_image_turn_and_the_question(self):
        conv = [msg("user", "w " * 10), msg("assistant", "x " * 10),  # turn 0
                msg("user", "draw"), msg("assistant", image=True),  # turn 1: the latest image
                msg("user", "y " * 10), msg("assistant", "z " * 10),  # turn 2
                msg("user", "now make it blue")]  # turn 3: being answered
        kept, dropped = fit_conversation(conv, 130, IMG, count)
        self.assertEqual(dropped["turns"], [0, 2])
        self.assertEqual(dropped["messages"], [0, 1, 4, 5])
        self.assertEqual(kept, conv[2:4] + conv[6:])
        self.assertEqual(dropped["tokensAfter"], count(kept))
        self.assertLessEqual(count(kept) + IMG + 16, 130)

    def test_too_long_even_alone(self):
        with self.assertRaises(ContextTooLong):
            fit_conversation([msg("user", "w " * 200)], 100, IMG, count)


if __name__ == "__main__":
    unittest.main()
