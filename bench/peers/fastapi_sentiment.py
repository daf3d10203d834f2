#!/usr/bin/python3
"""The service a Python user writes instead of inferd's `:predict`, for the
`sentiment` example: the whole text-classification pipeline in Python.

FastAPI + uvicorn (one worker, no access log): POST
/v1/models/sentiment:predict with {"instances": [...], "parameters":
{"top_k": ...}}; each instance is tokenized in Python with the model's own
vocabulary (tokenizer.json, BERT-style uncased WordPiece, encoded by
examples/wordpiece_tokenizer.py, which gives the ids inferd gives), the
instances are padded to the longest, the same TorchScript file runs, and the
softmax scores become {"label", "score"} in inferd's response shape
(predictions, model_name, model_version, request_id, inference_time_ms,
success_count, failure_count). --mode as in fastapi_text_classifier.py:
singleton (one forward per request, in the handler) or batched (the asyncio
batch-collecting manager across requests).

    /usr/bin/python3 bench/peers/fastapi_sentiment.py --mode batched \
        --port 8083 --model-dir build/examples/model_repository/sentiment

Run with Debian's interpreter (python3-torch, python3-fastapi, uvicorn).
"""

import argparse
import json
import os
import sys
import time
import uuid
from typing import Any, Dict, List, Union

import torch
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "examples"))

from fastapi_text_classifier import BatchManager, TextClassifier  # noqa: E402
from wordpiece_tokenizer import SPECIAL_TOKENS, WordPiece  # noqa: E402

MODEL_NAME = "sentiment"
MAX_INSTANCES = 1000


class PredictRequest(BaseModel):
    instances: List[Union[str, Dict[str, Any]]]
    parameters: Union[Dict[str, Any], None] = None


class Pipeline:
    """Tokenizer and labels singleton, loaded once."""

    tokenizer: WordPiece = None
    labels: List[str] = []
    max_length = 128

    @classmethod
    def load(cls, model_dir: str):
        with open(os.path.join(model_dir, "tokenizer.json")) as f:
            vocab = json.load(f)["model"]["vocab"]
        pieces = [t for t, _ in sorted(vocab.items(), key=lambda x: x[1])]
        cls.tokenizer = WordPiece(pieces[len(SPECIAL_TOKENS):], lowercase=True)
        assert cls.tokenizer.vocab == vocab, "vocabulary order differs"
        with open(os.path.join(model_dir, "labels.txt")) as f:
            cls.labels = [line.strip() for line in f if line.strip()]


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": message})


app = FastAPI(title="sentiment :predict (FastAPI peer)")
manager = None  # BatchManager in --mode batched


@app.on_event("startup")
async def start_manager():
    if manager is not None:
        manager.start()


@app.post(f"/v1/models/{MODEL_NAME}:predict")
async def predict(request: PredictRequest):
    started = time.monotonic()
    if not request.instances:
        return error(400, "\"instances\" must not be empty")
    if len(request.instances) > MAX_INSTANCES:
        return error(413, f"at most {MAX_INSTANCES} instances")
    top_k = (request.parameters or {}).get("top_k", "absent")
    encoded, errors = [], []
    for instance in request.instances:
        text = instance if isinstance(instance, str) else instance.get("text")
        if not isinstance(text, str) or not text:
            errors.append("the text is empty or not a string")
            encoded.append(None)
            continue
        ids = Pipeline.tokenizer.encode(text)[0][:Pipeline.max_length]
        encoded.append(ids)
        errors.append(None)
    good = [ids for ids in encoded if ids is not None]
    scores = []
    if good:
        length = max(len(ids) for ids in good)
        input_ids = torch.zeros(len(good), length, dtype=torch.int64)
        mask = torch.zeros(len(good), length, dtype=torch.int64)
        for row, ids in enumerate(good):
            input_ids[row, :len(ids)] = torch.tensor(ids)
            mask[row, :len(ids)] = 1
        if manager is None:
            logits = TextClassifier.predict(input_ids, mask)
        else:
            logits = await manager.submit(input_ids, mask)
        scores = torch.softmax(logits.double(), dim=1).tolist()
    predictions, k = [], 0
    for ids, message in zip(encoded, errors):
        if ids is None:
            predictions.append({"error": message})
            continue
        row = scores[k]
        k += 1
        ranked = sorted(range(len(row)), key=lambda i: -row[i])
        entries = [{"label": Pipeline.labels[i], "score": row[i]} for i in ranked]
        if top_k == "absent":
            predictions.append(entries[0])
        else:
            predictions.append(entries if top_k is None else entries[:top_k])
    return {"predictions": predictions, "model_name": MODEL_NAME,
            "model_version": "1", "request_id": uuid.uuid4().hex[:16],
            "inference_time_ms": (time.monotonic() - started) * 1000,
            "success_count": len(good),
            "failure_count": len(encoded) - len(good)}


def main():
    global manager
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=("singleton", "batched"), required=True)
    parser.add_argument("--model-dir",
                        default="build/examples/model_repository/sentiment")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8083)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-batch", type=int, default=32)
    parser.add_argument("--max-wait-ms", type=float, default=5.0)
    args = parser.parse_args()
    Pipeline.load(args.model_dir)
    TextClassifier.load(os.path.join(args.model_dir, "1", "model.pt"), args.threads)
    if args.mode == "batched":
        manager = BatchManager(args.max_batch, args.max_wait_ms)
    uvicorn.run(app, host=args.host, port=args.port, workers=1,
                access_log=False, log_level="warning")


if __name__ == "__main__":
    main()
