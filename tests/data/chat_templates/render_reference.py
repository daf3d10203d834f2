"""Renders every chat template here with real Jinja2 (Debian's python3-jinja2),
the way Hugging Face's apply_chat_template does, and writes the results as the
goldens src/text/chat_template_test.cc compares inferd's interpreter against.

Environment (transformers' _compile_jinja_template): ImmutableSandboxedEnvironment
with trim_blocks and lstrip_blocks, the loopcontrols extension, a `generation`
block tag (Hugging Face's assistant-mask tag, rendered as its body), `tojson`
replaced by json.dumps(ensure_ascii=False, ...), and the globals raise_exception
and strftime_now. strftime_now formats a fixed time (FIXED_NOW) so the goldens
do not change with the day.

Context of one rendering: the template's entry in templates.json (bos_token,
eos_token) updated with one conversation of conversations.json.

Run with /usr/bin/python3: render_reference.py --out goldens.json
Output: {"<template>": {"<conversation>": {"text": ...} or {"error": ...}}}
"""

import argparse
import datetime
import json
import os
import sys

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
FIXED_NOW = datetime.datetime(2024, 7, 26, 12, 0, 0)


class GenerationTag(jinja2.ext.Extension):
    """{% generation %}...{% endgeneration %}: renders the body."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.Scope(body, lineno=lineno)


def make_environment():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent,
                          separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return FIXED_NOW.strftime(format)

    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True,
        extensions=[GenerationTag, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    with open(os.path.join(HERE, "templates.json"), encoding="utf-8") as f:
        templates = json.load(f)
    with open(os.path.join(HERE, "conversations.json"), encoding="utf-8") as f:
        conversations = json.load(f)

    env = make_environment()
    goldens = {}
    for name, info in sorted(templates.items()):
        with open(os.path.join(HERE, name + ".jinja"), encoding="utf-8") as f:
            template = env.from_string(f.read())
        goldens[name] = {}
        for conv_name, conversation in sorted(conversations.items()):
            context = {"bos_token": info["bos_token"], "eos_token": info["eos_token"]}
            context.update(conversation)
            try:
                goldens[name][conv_name] = {"text": template.render(**context)}
            except jinja2.exceptions.TemplateError as e:
                goldens[name][conv_name] = {"error": str(e)}
            except Exception as e:  # TypeError and the like: a failed render
                goldens[name][conv_name] = {"error": f"{type(e).__name__}: {e}"}

    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(goldens, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
