"""The example chat model (`chat` in the example repository, examples/chat_model.py).

A GGUF llama model trained on fortune cookies, with a ChatML template and <|im_end|> as its
end-of-turn token. Served as `make serve` serves it, each golden conversation answered greedily
through /v1/chat/completions (the server renders the GGUF's template) and through the generate
extension (the rendered prompt as text) must equal the answer the builder's float64 PyTorch
reference chose (goldens/chat.answers.json) and end the turn: finish_reason "stop", the
end-of-turn token counted but not in the text. With tools offered, the model's <tool_call> block
comes back as message.tool_calls; asked for a fortune "as JSON", its answer is the same under a
JSON schema that describes it."""

import json
import os
import re
import shutil
import tempfile

from .inferd_server import ServerTestCase, examples_dir, model_repository


def load_answers():
    with open(os.path.join(examples_dir(), "goldens", "chat.answers.json"), encoding="utf-8") as f:
        return json.load(f)


def expected_tool_calls(answer):
    """The calls in a golden answer written in the template's <tool_call> blocks, or None."""
    calls = re.findall(r"<tool_call>\n(.*?)\n</tool_call>", answer, re.S)
    return [json.loads(call) for call in calls] or None


FORTUNE_SCHEMA = {
    "type": "object",
    "properties": {"topic": {"type": "string"}, "fortune": {"type": "string"}},
    "required": ["topic", "fortune"], "additionalProperties": False}


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
                request = {"model": "chat", "messages": case["messages"], "temperature": 0,
                           "max_tokens": self.max_tokens}
                if case.get("tools"):
                    request["tools"] = case["tools"]
                status, doc = self.server.json("POST", "/v1/chat/completions", request)
                self.assertEqual(status, 200, doc)
                choice = doc["choices"][0]
                self.assertEqual(choice["message"]["role"], "assistant")
                calls = expected_tool_calls(case["answer"])
                if calls:
                    self.assertIsNone(choice["message"]["content"])
                    self.assertEqual(choice["finish_reason"], "tool_calls")
                    got = [{"name": c["function"]["name"],
                            "arguments": json.loads(c["function"]["arguments"])}
                           for c in choice["message"]["tool_calls"]]
                    self.assertEqual(got, calls)
                else:
                    self.assertEqual(choice["message"]["content"], case["answer"])
                    self.assertNotIn("<|im_end|>", choice["message"]["content"])
                    self.assertEqual(choice["finish_reason"], "stop")
                self.assertEqual(doc["usage"]["prompt_tokens"], prompt_tokens)
                self.assertEqual(doc["usage"]["completion_tokens"], case["completion_tokens"])

    def test_the_tool_conversations_call_and_answer(self):
        with_tools = [case for case in self.cases if case.get("tools")]
        self.assertEqual(len(with_tools), 2)
        call = expected_tool_calls(with_tools[0]["answer"])
        self.assertEqual(call[0]["name"], "get_weather")
        self.assertIsNone(expected_tool_calls(with_tools[1]["answer"]))

    def test_a_json_fortune_is_the_same_under_its_schema(self):
        case = next(c for c in self.cases if "as JSON" in c["messages"][-1]["content"])
        answer = json.loads(case["answer"])
        self.assertEqual(sorted(answer), ["fortune", "topic"])
        status, doc = self.server.json("POST", "/v1/chat/completions", {
            "model": "chat", "messages": case["messages"], "temperature": 0,
            "max_tokens": self.max_tokens,
            "response_format": {"type": "json_schema", "json_schema": {
                "name": "fortune", "strict": True, "schema": FORTUNE_SCHEMA}}})
        self.assertEqual(status, 200, doc)
        self.assertEqual(doc["choices"][0]["message"]["content"], case["answer"])
        self.assertEqual(doc["choices"][0]["finish_reason"], "stop")

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
