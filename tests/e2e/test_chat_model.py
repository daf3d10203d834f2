"""The example chat model (`chat` in the example repository, examples/chat_model.py).

A GGUF llama model trained on fortune cookies, with a ChatML template and <|im_end|> as its
end-of-turn token. Served as `make serve` serves it, each golden conversation answered greedily
through /v1/chat/completions (the server renders the GGUF's template) and through the generate
extension (the rendered prompt as text) must equal the answer the builder's float64 PyTorch
reference chose (goldens/chat.answers.json) and end the turn: finish_reason "stop", the
end-of-turn token counted but not in the text."""

import json
import os
import shutil
import tempfile

from .inferd_server import ServerTestCase, examples_dir, model_repository


def load_answers():
    with open(os.path.join(examples_dir(), "goldens", "chat.answers.json"), encoding="utf-8") as f:
        return json.load(f)


def golden_prompt_lengths():
    """Token counts of the golden prompts (`prompt <n> ...` lines of chat.golden)."""
    with open(os.path.join(examples_dir(), "goldens", "chat.golden"), encoding="utf-8") as f:
        return [int(line.split()[1]) for line in f if line.startswith("prompt ")]


class ChatModelTest(ServerTestCase):

    @classmethod
    def repository(cls):
        repo = cls.temp_repository(tempfile.mkdtemp(prefix="inferd-chat-"))
        shutil.copytree(os.path.join(model_repository(), "chat"), os.path.join(repo, "chat"))
        return repo

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        goldens = load_answers()
        cls.cases = goldens["cases"]
        cls.max_tokens = goldens["max_tokens"]
        cls.prompt_lengths = golden_prompt_lengths()

    def test_goldens_are_answers_that_end_the_turn(self):
        self.assertEqual(len(self.cases), len(self.prompt_lengths))
        for case in self.cases:
            self.assertEqual(case["finish_reason"], "stop", case)
            self.assertTrue(case["answer"].strip(), case)
            self.assertTrue(case["prompt"].endswith("<|im_start|>assistant\n"), case)

    def test_chat_completions_answer_like_the_reference(self):
        for case, prompt_tokens in zip(self.cases, self.prompt_lengths):
            with self.subTest(messages=case["messages"]):
                status, doc = self.server.json("POST", "/v1/chat/completions", {
                    "model": "chat", "messages": case["messages"], "temperature": 0,
                    "max_tokens": self.max_tokens})
                self.assertEqual(status, 200, doc)
                choice = doc["choices"][0]
                self.assertEqual(choice["message"]["role"], "assistant")
                self.assertEqual(choice["message"]["content"], case["answer"])
                self.assertNotIn("<|im_end|>", choice["message"]["content"])
                self.assertEqual(choice["finish_reason"], "stop")
                self.assertEqual(doc["usage"]["prompt_tokens"], prompt_tokens)
                self.assertEqual(doc["usage"]["completion_tokens"], case["completion_tokens"])

    def test_generate_with_the_rendered_prompt_answers_alike(self):
        for case in self.cases:
            with self.subTest(prompt=case["prompt"]):
                status, doc = self.server.json("POST", "/v2/models/chat/generate", {
                    "text_input": case["prompt"],
                    "parameters": {"temperature": 0, "max_tokens": self.max_tokens}})
                self.assertEqual(status, 200, doc)
                self.assertEqual(doc["text_output"], case["answer"])
                self.assertEqual(doc["finish_reason"], "stop")

    def test_requests_beyond_its_context_are_refused_naming_the_field(self):
        # config.pbtxt gives the model its trained context, 256 tokens.
        status, doc = self.server.json("POST", "/v1/chat/completions", {
            "model": "chat", "messages": self.cases[0]["messages"], "max_tokens": 1000})
        self.assertEqual(status, 400, doc)
        self.assertEqual(doc["error"]["param"], "max_tokens")
        self.assertIn("256", doc["error"]["message"])
        long_message = [{"role": "user", "content": "Tell me a fortune. " * 100}]
        status, doc = self.server.json("POST", "/v1/chat/completions", {
            "model": "chat", "messages": long_message, "max_tokens": 8})
        self.assertEqual(status, 400, doc)
        self.assertEqual(doc["error"]["param"], "messages")
        self.assertEqual(doc["error"]["code"], "context_length_exceeded")
