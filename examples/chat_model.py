#!/usr/bin/python3
"""The `chat` example: a toy chat model in GGUF, served by the gguf backend.

A small llama-architecture language model trained here, in a few minutes on
two cores, on conversations made from Debian's fortune cookies (fortunes and
fortunes-min): the user asks for a fortune (on a topic, or to complete a
saying, define a word, answer a riddle, name who said something), the
assistant answers with the fortune. It also learns one tool-call format
(asked about the weather or the time in a city with such a tool offered, it
calls the tool, and puts the tool's answer into a sentence) and one JSON
task (a fortune asked for "as JSON" is {"topic": ..., "fortune": ...}). It is a toy: its answers are English
and end where a real model's would, but they mean little.

Conversations are written with the model's own ChatML template, stored in
the GGUF as `tokenizer.chat_template`, so /v1/chat/completions renders
requests exactly as the model was trained:

    <|im_start|>user\\nTell me a fortune about love.<|im_end|>\\n
    <|im_start|>assistant\\n...<|im_end|>\\n

`<|im_start|>` and `<|im_end|>` are control tokens (token_type 3) of the
byte-level BPE vocabulary (scripts/llm/tiny_tokenizers.py), and
`<|im_end|>` is tokenizer.ggml.eos_token_id, so generation stops at the end
of an answer. Training, the GGUF writer and the float64 reference forward
pass are those of scripts/llm/make_test_models.py.

Writes MODEL_REPOSITORY/chat/{config.pbtxt,1/model.gguf} and, in GOLDENS,
chat.golden (make_test_models.py's format: per prompt its ids, the
last-position logits and the greedy answer, EOS included) and
chat.answers.json (the same prompts as chat messages, the rendered prompt
and the answer's text).

    /usr/bin/python3 examples/chat_model.py --out /tmp/chat

builds only this model (build_model_repository.py builds it with the rest).
Deterministic for a given torch build: fixed seeds, two threads.
"""

import argparse
import ctypes
import json
import os
import random
import re
import sys
import time

if __name__ == "__main__":
    # OpenMP's idle worker spins, and on two cores it competes with the
    # thread that has work: training ran 2.5 times slower. Read when torch
    # loads libgomp, so set before the import (build_model_repository.py sets
    # it when it re-executes itself).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, "..", "tests", "data", "chat_templates")
sys.path.insert(0, os.path.join(HERE, "..", "scripts", "llm"))
import make_test_models as tm  # noqa: E402
sys.path.insert(0, TEMPLATES)
import render_reference  # noqa: E402
import tiny_tokenizers as tt  # noqa: E402

NAME = "chat"
SEED = 7
FORTUNES = "/usr/share/games/fortunes"
# One-liners: at most MAX_CHARS, at most PER_FILE from each file (about 1,200
# in all), so that the training sees each some 40 times: a model
# this small writes English when it has learnt its sentences nearly by heart.
MAX_CHARS = 80
PER_FILE = 40

# Model and training: about seven minutes on two cores (0.45-0.5 s a step).
VOCAB = 2048
DIM, LAYERS, HEADS, KV_HEADS, FFN = 128, 4, 4, 2, 384
CONTEXT = 256           # trained window = context_length in the GGUF
STEPS = 900
BATCH = 16
LR = 8e-3

# Fortune files -> how a user names their subject (None: no topic).
TOPICS = {
    "art": "art", "computers": "computers", "cookie": None,
    "education": "school", "food": "food", "fortunes": None,
    "humorists": "humor", "kids": "children", "law": "the law",
    "literature": "books", "love": "love", "magic": "magic",
    "medicine": "medicine", "miscellaneous": None, "news": "the news",
    "people": "people", "pets": "pets", "platitudes": None,
    "science": "science", "sports": "sports", "wisdom": "wisdom",
    "work": "work",
}
# A toy everyone's first `make serve` shows: fortunes with these words stay
# out (the model blends what it learnt into new sentences).
UNWANTED = re.compile(
    r"\b(sex\w*|penis\w*|breasts?|rap(e|ed|es|ing|ist)|nude|naked|whores?|"
    r"bitch\w*|fuck\w*|shit\w*|damn\w*|bastards?|ass|asses|porn\w*|"
    r"prostitut\w*|orgasm\w*|virgin\w*|nigger\w*|homosexual\w*|suicide|"
    r"drunk\w*|kill\w*|murder\w*)\b", re.I)
QA_FILES = ["riddles"]
DEFINITION_FILES = ["definitions"]

# ChatML; with `tools`, a system turn lists them ("Tools: get_weather(city),
# ...") and the assistant calls one in Qwen/Hermes <tool_call> blocks. Kept
# with the real templates the interpreter is checked against (rendered by
# real Jinja2 there too).
with open(os.path.join(TEMPLATES, "inferd-chat.jinja"), encoding="utf-8") as f:
    CHAT_TEMPLATE = f.read()

SYSTEM_PROMPTS = ["You are a helpful assistant.",
                  "You are a fortune cookie.",
                  "Answer briefly."]
ABOUT = ("I am a tiny language model trained on fortune cookies. "
         "Ask me for a fortune, a definition or a riddle.")
SMALL_TALK = [
    (["Hello", "Hi", "Hello!", "Hi there!", "Good morning", "Hey"],
     ["Hello! Ask me for a fortune.", "Hi! Would you like a fortune?"]),
    (["Who are you?", "What are you?", "What can you do?",
      "Tell me about yourself."], [ABOUT]),
    (["Thank you", "Thanks!", "Thank you very much."],
     ["You are welcome.", "My pleasure."]),
]
TOPIC_ASKS = ["Tell me a fortune about {}.", "Give me a fortune about {}.",
              "Say something about {}.", "Tell me something about {}.",
              "What do you know about {}?", "Do you have a saying about {}?"]
PLAIN_ASKS = ["Tell me a fortune.", "Give me a fortune.",
              "Tell me something.", "Say something wise.",
              "Tell me a joke.", "What does my fortune cookie say?"]
COMPLETE_ASKS = ["Complete: {}", "Complete this: {}", "Finish this: {}",
                 "Continue: {}"]
DEFINE_ASKS = ["Define {}.", "What is {}?", "What does {} mean?"]
SMALL_TALK_COPIES = 3

# Tool use: asked about the weather or the time in a city with those tools
# offered, the model calls the tool; given the tool's answer, it says it in
# a sentence. Asked for a fortune with tools offered, it answers as usual.
CITIES = ["Paris", "London", "Tokyo", "Berlin", "Rome", "Madrid", "Lisbon",
          "Dublin", "Oslo", "Vienna", "Prague", "Cairo", "Lima", "Sydney",
          "Toronto", "Chicago", "Boston", "Denver", "Seattle", "Austin",
          "Mumbai", "Delhi", "Seoul", "Moscow", "Athens", "Nairobi",
          "Havana", "Quito", "Helsinki", "Warsaw"]
SKIES = ["sunny", "cloudy", "rainy", "windy", "foggy", "snowy", "clear"]
WEATHER_ASKS = ["What is the weather in {}?", "What's the weather in {}?",
                "How is the weather in {}?", "Weather in {}?",
                "Is it raining in {}?"]
TIME_ASKS = ["What time is it in {}?", "What's the time in {}?",
             "Time in {}?", "What is the time in {}?"]
TOOLS = {
    "get_weather": ("Get the current weather in a city.", "city"),
    "get_time": ("Get the local time in a city.", "city"),
    "search": ("Search the web.", "query"),
}
TOOL_CONVERSATIONS = 2000
# Structured output: "... as JSON" gets the fortune as a JSON object.
JSON_ASKS = ["Tell me a fortune about {} as JSON.",
             "Give me a fortune about {} as JSON.",
             "A fortune about {} in JSON, please."]
JSON_CONVERSATIONS = 700

def tool(name):
    """OpenAI's form of one of TOOLS."""
    description, parameter = TOOLS[name]
    return {"type": "function", "function": {
        "name": name, "description": description,
        "parameters": {"type": "object",
                       "properties": {parameter: {"type": "string"}},
                       "required": [parameter]}}}


def tool_call(name, arguments, compact):
    """An assistant turn that calls `name`; arguments as a JSON string the
    way OpenAI clients send them back (`compact`), or as an object."""
    if compact:
        arguments = json.dumps(arguments, separators=(",", ":"))
    return {"role": "assistant", "content": None, "tool_calls": [{
        "id": "call_0", "type": "function",
        "function": {"name": name, "arguments": arguments}}]}


GOLDEN_TOOLS = [tool("get_weather"), tool("get_time")]
# (messages, tools): the answers the builder's reference chose are checked
# through the server's routes (tests/e2e/test_chat_model.py).
GOLDEN_CASES = [
    ([{"role": "user", "content": "Tell me a fortune."}], None),
    ([{"role": "user", "content": "Tell me a fortune about love."}], None),
    ([{"role": "system", "content": "You are a helpful assistant."},
      {"role": "user", "content": "Who are you?"}], None),
    ([{"role": "user", "content": "What is the weather in Paris?"}],
     GOLDEN_TOOLS),
    ([{"role": "user", "content": "What is the weather in Paris?"},
      tool_call("get_weather", {"city": "Paris"}, compact=True),
      {"role": "tool", "tool_call_id": "call_0",
       "content": '{"sky": "rainy", "celsius": 14}'}], GOLDEN_TOOLS),
    ([{"role": "user", "content": "Tell me a fortune about love as JSON."}],
     None),
]
GOLDEN_MAX_TOKENS = 120


# ---------------------------------------------------------------------------
# Fortunes -> conversations
# ---------------------------------------------------------------------------


def unwrap(lines):
    """Joins the hard-wrapped lines of a fortune into paragraphs: a line
    break stays after a short line (verse, lists, dialogue) and a blank
    line, and goes where the line was long (wrapped prose)."""
    out = ""
    for line in lines:
        line = " ".join(line.split())
        if not line:
            if out and not out.endswith("\n"):
                out += "\n"
            continue
        if not out:
            out = line
        elif out.endswith("\n"):
            out += line
        else:
            last = out[out.rfind("\n") + 1:]
            out += (" " if len(last) >= 50 else "\n") + line
    return out.strip()


def read_fortunes(name):
    """The fortunes of file `name` that are at most MAX_CHARS, English
    (ASCII) and free of UNWANTED words, as text without the attribution
    (names are hard for a model this small, and it wrote them everywhere)."""
    path = os.path.join(FORTUNES, name)
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            raw = f.read()
    except OSError as e:
        raise SystemExit(f"chat: cannot read {path} (install fortunes and "
                         f"fortunes-min: scripts/install-deps.sh): {e}")
    out = []
    for entry in raw.split("\n%\n"):
        lines = entry.strip("\n").split("\n")
        if lines and re.match(r"^\s*--\s*\S", lines[-1]):
            lines.pop()
        text = unwrap(lines)
        if (text and len(text) <= MAX_CHARS and text.isascii()
                and not UNWANTED.search(text)):
            out.append(text)
    return out


def split_half(text, rng):
    """(first, rest): `text` cut at a word boundary near its middle, or None
    when too short."""
    spaces = [m.start() for m in re.finditer(" ", text)]
    if len(spaces) < 4:
        return None
    mid = len(text) * rng.uniform(0.35, 0.6)
    cut = min(spaces, key=lambda i: abs(i - mid))
    return text[:cut], text[cut + 1:]


def casual(ask, rng):
    """Users type carelessly: sometimes no final stop, sometimes lower case."""
    if rng.random() < 0.3 and ask[-1] in ".?":
        ask = ask[:-1]
    if rng.random() < 0.2:
        ask = ask[0].lower() + ask[1:]
    return ask


def fortune_turns(text, topic, rng):
    """One (user, assistant) exchange about a fortune: asked for by topic or
    plainly, or its first half given to complete."""
    r = rng.random()
    if r < 0.2:
        halves = split_half(text, rng)
        if halves:
            return rng.choice(COMPLETE_ASKS).format(halves[0]), halves[1]
    if topic and r < 0.75:
        ask = rng.choice(TOPIC_ASKS).format(topic)
    else:
        ask = rng.choice(PLAIN_ASKS)
    return casual(ask, rng), text


def definition_turns(text, rng):
    """Devil's Dictionary entries (`Word, n.:` and a definition) become
    "Define word." and the definition."""
    head, _, body = text.partition("\n")
    m = re.match(r"^([A-Z][a-z'-]+(?: [a-z'-]+)?), [a-z]+\.:$", head)
    if not m or not body:
        return None
    ask = rng.choice(DEFINE_ASKS).format(m.group(1).lower())
    return casual(ask, rng), " ".join(body.split())


def qa_turns(text):
    """`Q: ... A: ...` riddles become the question and its answer."""
    m = re.match(r"^Q:\s*(.+?)\s*\nA:\s*(.+)$", text, re.S)
    if not m:
        return None
    return " ".join(m.group(1).split()), " ".join(m.group(2).split())


def conversations(rng, passes=2):
    """Every fortune `passes` times, each time as a random kind of exchange,
    plus small talk; each conversation a list of messages, shuffled."""
    sources = []
    for name in sorted(TOPICS) + QA_FILES + DEFINITION_FILES:
        fortunes = read_fortunes(name)
        if len(fortunes) > PER_FILE:
            fortunes = rng.sample(fortunes, PER_FILE)
        sources.append((name, fortunes))
    out = []
    for _ in range(passes):
        for name, fortunes in sources:
            for text in fortunes:
                turns = None
                if name in QA_FILES:
                    turns = qa_turns(text)
                elif name in DEFINITION_FILES and rng.random() < 0.7:
                    turns = definition_turns(text, rng)
                if turns is None:
                    turns = fortune_turns(text, TOPICS.get(name), rng)
                out.append(turns)
    for asks, answers in SMALL_TALK:
        for ask in asks:
            for answer in answers:
                out += [(ask, answer)] * SMALL_TALK_COPIES
    chats = []
    for user, assistant in out:
        messages = [{"role": "user", "content": user},
                    {"role": "assistant", "content": assistant}]
        if rng.random() < 0.1:
            messages.insert(0, {"role": "system",
                                "content": rng.choice(SYSTEM_PROMPTS)})
        chats.append((messages, None))
    chats += tool_conversations(rng, out)
    chats += json_conversations(rng, sources)
    rng.shuffle(chats)
    return chats


def offered_tools(rng, needed):
    """`needed` among the tools offered, with others, in random order."""
    names = [needed] if needed else []
    names += [n for n in TOOLS if n != needed and rng.random() < 0.5]
    rng.shuffle(names)
    return [tool(n) for n in names or ["search"]]


def tool_conversations(rng, exchanges):
    """Weather and time questions answered through a tool call (the call
    alone, or the whole round trip), and ordinary exchanges with tools
    offered that need none."""
    chats = []
    for i in range(TOOL_CONVERSATIONS):
        kind = i % 7
        if kind == 6:
            user, assistant = rng.choice(exchanges)
            chats.append(([{"role": "user", "content": user},
                           {"role": "assistant", "content": assistant}],
                          offered_tools(rng, None)))
            continue
        city = rng.choice(CITIES)
        if kind < 4:
            name = "get_weather"
            ask = rng.choice(WEATHER_ASKS)
            sky, celsius = rng.choice(SKIES), rng.randint(-5, 35)
            result = json.dumps({"sky": sky, "celsius": celsius})
            answer = f"It is {sky} and {celsius} degrees in {city}."
        else:
            name = "get_time"
            ask = rng.choice(TIME_ASKS)
            clock = f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
            result = json.dumps({"time": clock})
            answer = f"It is {clock} in {city}."
        messages = [{"role": "user", "content": casual(ask.format(city), rng)},
                    tool_call(name, {"city": city}, rng.random() < 0.5)]
        if rng.random() < 0.7:
            messages += [{"role": "tool", "tool_call_id": "call_0",
                          "content": result},
                         {"role": "assistant", "content": answer}]
        chats.append((messages, offered_tools(rng, name)))
    return chats


def json_conversations(rng, sources):
    """Fortunes on a topic asked for "as JSON": {"topic": ..., "fortune": ...}."""
    pool = [(TOPICS[name], text) for name, fortunes in sources
            if TOPICS.get(name) for text in fortunes]
    chats = []
    for _ in range(JSON_CONVERSATIONS):
        topic, text = rng.choice(pool)
        answer = json.dumps({"topic": topic, "fortune": text})
        chats.append(([{"role": "user", "content": casual(
                          rng.choice(JSON_ASKS).format(topic), rng)},
                       {"role": "assistant", "content": answer}], None))
    return chats


# ---------------------------------------------------------------------------
# Tokenizer, training, GGUF
# ---------------------------------------------------------------------------


def render(messages, tools=None, add_generation_prompt=False):
    """The template applied by real Jinja2 in Hugging Face's environment
    (apply_chat_template), as inferd renders it."""
    return render_reference.make_environment().from_string(
        CHAT_TEMPLATE).render(messages=messages, tools=tools,
                              add_generation_prompt=add_generation_prompt)


def model_config(vocab):
    return tm.Config("llama", vocab, dim=DIM, layers=LAYERS, heads=HEADS,
                     kv_heads=KV_HEADS, ffn=FFN, ctx=CONTEXT, tied=True,
                     embd_scale=DIM ** -0.5)


def train_model(steps=STEPS):
    """(config, tokenizer, float32 weights), all from the seeds."""
    rng = random.Random(SEED)
    chats = conversations(rng)
    texts = [render(messages, tools) for messages, tools in chats]
    plain = re.sub(r"<\|im_(start|end)\|>", "", "\n".join(texts))
    began = time.monotonic()
    tok = tt.Gpt2Tokenizer(plain, VOCAB, eos="<|im_end|>")
    ids, starts = [], []
    for text in texts:
        starts.append(len(ids))
        ids += tok.encode(text, parse_special=True)
    print(f"chat: {len(chats)} conversations, {len(ids)} tokens, vocabulary "
          f"{len(tok.tokens)} ({time.monotonic() - began:.1f} s)", flush=True)
    cfg = model_config(len(tok.tokens))
    began = time.monotonic()
    weights = tm.train(cfg, ids, steps, SEED, seq=CONTEXT, batch=BATCH,
                       lr=LR, starts=starts, batched=True, schedule=True,
                       label="chat")
    print(f"chat: trained {steps} steps of {BATCH} x {CONTEXT} tokens in "
          f"{time.monotonic() - began:.0f} s", flush=True)
    return cfg, tok, weights


def write_config(model_dir, cfg):
    # Room for max_sequences full contexts: keys and values, f32, per layer.
    kv_bytes = 8 * CONTEXT * 2 * cfg.layers * cfg.kv_heads * cfg.head_dim * 4
    with open(os.path.join(model_dir, "config.pbtxt"), "w") as f:
        f.write(f'''# A toy chat model (examples/chat_model.py): answers are English
# fortune cookies, not knowledge.
backend: "gguf"
parameters {{ key: "context_length" value {{ string_value: "{CONTEXT}" }} }}
parameters {{ key: "max_tokens" value {{ string_value: "128" }} }}
parameters {{ key: "temperature" value {{ string_value: "0.7" }} }}
parameters {{ key: "top_p" value {{ string_value: "0.9" }} }}
parameters {{ key: "max_sequences" value {{ string_value: "8" }} }}
parameters {{ key: "kv_cache_bytes" value {{ string_value: "{kv_bytes}" }} }}
''')


def keep_freed_memory():
    """glibc hands freed blocks over 128 KiB back to the kernel, so each
    training step would fault its activations in again; keeping them in the
    heap saves most of the time the kernel took."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    libc.mallopt(m_mmap_threshold, 32 << 20)  # glibc's largest
    libc.mallopt(m_trim_threshold, 1 << 30)


def build(model_repository, goldens, steps=STEPS):
    """Trains and writes the model, its config and goldens; returns a
    summary line."""
    keep_freed_memory()
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        cfg, tok, weights = train_model(steps)
    finally:
        torch.set_num_threads(threads)
    model_dir = os.path.join(model_repository, NAME)
    os.makedirs(os.path.join(model_dir, "1"), exist_ok=True)
    path = os.path.join(model_dir, "1", "model.gguf")
    deq = tm.write_model(path, cfg, tok, weights, "f32",
                         chat_template=CHAT_TEMPLATE)
    write_config(model_dir, cfg)
    began = time.monotonic()
    prompts = [render(messages, tools, add_generation_prompt=True)
               for messages, tools in GOLDEN_CASES]
    answers = tm.write_golden(os.path.join(goldens, NAME + ".golden"), cfg,
                              tok, deq, None, prompts=prompts,
                              max_new=GOLDEN_MAX_TOKENS, stop_at_eos=True)
    cases = []
    for (messages, tools), prompt, answer in zip(GOLDEN_CASES, prompts,
                                                 answers):
        ended = bool(answer) and answer[-1] == tok.eos
        cases.append({"messages": messages, "tools": tools, "prompt": prompt,
                      "answer": tok.decode(answer),
                      "finish_reason": "stop" if ended else "length",
                      "completion_tokens": len(answer)})
        print(f"chat: {messages[-1]['content']!r} -> "
              f"{tok.decode(answer)!r}", flush=True)
    with open(os.path.join(goldens, NAME + ".answers.json"), "w") as f:
        json.dump({"max_tokens": GOLDEN_MAX_TOKENS, "cases": cases}, f,
                  indent=1)
        f.write("\n")
    print(f"chat: goldens in {time.monotonic() - began:.0f} s", flush=True)
    return (f"{cfg.layers} layers, dim {cfg.dim}, vocabulary {cfg.vocab}, "
            f"{os.path.getsize(path)} bytes")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True,
                    help="folder for model_repository/ and goldens/")
    ap.add_argument("--steps", type=int, default=STEPS)
    args = ap.parse_args()
    repository = os.path.join(args.out, "model_repository")
    goldens = os.path.join(args.out, "goldens")
    os.makedirs(repository, exist_ok=True)
    os.makedirs(goldens, exist_ok=True)
    print("chat:", build(repository, goldens, args.steps))


if __name__ == "__main__":
    main()
