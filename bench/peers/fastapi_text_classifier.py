#!/usr/bin/python3
"""The service a Python user writes instead of inferd, for `text_classifier`.

FastAPI + uvicorn (one worker, no access log) serving the same TorchScript
file inferd serves, behind the same KServe v2 JSON infer route and response
body. Two variants, chosen with --mode:

  singleton  the model is loaded once; each request is one forward call,
             made inside torch.inference_mode() right in the async handler
             (requests are served one at a time, no thread hop).
  batched    the asyncio batch-collecting manager Python services use: each
             request puts (tensors, future) on an asyncio.Queue; one
             background task takes the first waiting request, then collects
             more until --max-batch rows or --max-wait-ms have passed, pads
             them to the longest sequence (id 0, mask 0), runs one forward in
             a one-thread executor and hands each request its rows.

    /usr/bin/python3 bench/peers/fastapi_text_classifier.py --mode batched \
        --port 8082 \
        --model build/examples/model_repository/text_classifier/1/model.pt

Run with Debian's interpreter (python3-torch, python3-fastapi, uvicorn).
The peer in bench/compare.sh; bench/peers/check_goldens.py checks its answers.
"""

import argparse
import asyncio
import concurrent.futures
from typing import List, Union

import torch
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel

MODEL_NAME = "text_classifier"
DEFAULT_MODEL = ("build/examples/model_repository/text_classifier/1/"
                 "model.pt")
INPUT_NAMES = ("input_ids", "attention_mask")
MAX_BATCH_SIZE = 64     # as in the model's config.pbtxt
MAX_LENGTH = 128        # the model's position table


class InferInput(BaseModel):
    name: str
    shape: List[int]
    datatype: str
    data: List[Union[int, List[int]]]


class InferRequest(BaseModel):
    id: Union[str, None] = None
    inputs: List[InferInput]


class TextClassifier:
    """Model singleton: loaded once, shared by every request."""

    _model = None

    @classmethod
    def load(cls, path: str, threads: int):
        torch.set_num_threads(threads)
        cls._model = torch.jit.load(path)
        cls._model.eval()

    @classmethod
    def predict(cls, input_ids: torch.Tensor,
                attention_mask: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode():
            return cls._model(input_ids, attention_mask)


class BatchManager:
    """Collects queued requests into one padded batch per forward call."""

    def __init__(self, max_batch: int, max_wait_ms: float):
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1000.0
        self.queue: asyncio.Queue = asyncio.Queue()
        # One thread: forwards never overlap (each uses all intra-op threads).
        self.executor = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        self.task = None

    def start(self):
        self.task = asyncio.get_running_loop().create_task(self.run())

    async def submit(self, input_ids: torch.Tensor,
                     attention_mask: torch.Tensor) -> torch.Tensor:
        future = asyncio.get_running_loop().create_future()
        await self.queue.put((input_ids, attention_mask, future))
        return await future

    async def collect(self, carried):
        """The next batch: the carried-over or first waiting item, then more
        until max_batch rows or max_wait. Returns (items, carried)."""
        loop = asyncio.get_running_loop()
        first = carried if carried is not None else await self.queue.get()
        items, rows = [first], first[0].shape[0]
        deadline = loop.time() + self.max_wait
        while rows < self.max_batch:
            try:
                item = self.queue.get_nowait()
            except asyncio.QueueEmpty:
                timeout = deadline - loop.time()
                if timeout <= 0:
                    break
                try:
                    item = await asyncio.wait_for(self.queue.get(), timeout)
                except asyncio.TimeoutError:
                    break
            if rows + item[0].shape[0] > self.max_batch:
                return items, item
            items.append(item)
            rows += item[0].shape[0]
        return items, None

    async def run(self):
        loop = asyncio.get_running_loop()
        carried = None
        while True:
            items, carried = await self.collect(carried)
            items = [item for item in items if not item[2].done()]
            if not items:
                continue
            length = max(item[0].shape[1] for item in items)
            rows = sum(item[0].shape[0] for item in items)
            input_ids = torch.zeros(rows, length, dtype=torch.int64)
            attention_mask = torch.zeros(rows, length, dtype=torch.int64)
            row = 0
            for ids, mask, _ in items:
                input_ids[row:row + ids.shape[0], :ids.shape[1]] = ids
                attention_mask[row:row + ids.shape[0], :ids.shape[1]] = mask
                row += ids.shape[0]
            try:
                logits = await loop.run_in_executor(
                    self.executor, TextClassifier.predict, input_ids,
                    attention_mask)
            except Exception as e:  # one bad batch must not stop the loop
                for _, _, future in items:
                    if not future.done():
                        future.set_exception(e)
                continue
            row = 0
            for ids, _, future in items:
                if not future.done():
                    future.set_result(logits[row:row + ids.shape[0]])
                row += ids.shape[0]


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": message})


def shape_text(shape: List[int]) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def to_tensor(item: InferInput) -> torch.Tensor:
    """Flattens nested or flat data and checks it against [B, L]."""
    flat = []
    for value in item.data:
        if isinstance(value, list):
            flat.extend(value)
        else:
            flat.append(value)
    if (len(item.shape) != 2 or not 1 <= item.shape[0] <= MAX_BATCH_SIZE
            or not 1 <= item.shape[1] <= MAX_LENGTH):
        raise ValueError(f"input \"{item.name}\": expected shape [B,L] with "
                         f"B in 1..{MAX_BATCH_SIZE} and L in 1..{MAX_LENGTH}"
                         f", got {shape_text(item.shape)}")
    if len(flat) != item.shape[0] * item.shape[1]:
        raise ValueError(f"input \"{item.name}\": shape "
                         f"{shape_text(item.shape)} needs "
                         f"{item.shape[0] * item.shape[1]} values, got "
                         f"{len(flat)}")
    return torch.tensor(flat, dtype=torch.int64).reshape(item.shape)


def parse(request: InferRequest):
    """(input_ids, attention_mask) or an error response."""
    by_name = {item.name: item for item in request.inputs}
    tensors = []
    for name in INPUT_NAMES:
        item = by_name.get(name)
        if item is None:
            return error(400, f"missing input \"{name}\"")
        if item.datatype != "INT64":
            return error(400, f"input \"{name}\": expected datatype INT64, "
                         f"got {item.datatype}")
        try:
            tensors.append(to_tensor(item))
        except ValueError as e:
            return error(400, str(e))
    if tensors[0].shape != tensors[1].shape:
        return error(400, "input_ids and attention_mask must have the same "
                     "shape")
    return tensors


def respond(request: InferRequest, logits: torch.Tensor) -> dict:
    response = {
        "model_name": MODEL_NAME,
        "model_version": "1",
        "outputs": [{
            "name": "logits",
            "datatype": "FP32",
            "shape": list(logits.shape),
            "data": logits.reshape(-1).tolist(),
        }],
    }
    if request.id is not None:
        response["id"] = request.id
    return response


app = FastAPI(title="text_classifier (FastAPI peer)")
manager = None  # BatchManager in --mode batched


@app.on_event("startup")
async def start_manager():
    if manager is not None:
        manager.start()


@app.post(f"/v2/models/{MODEL_NAME}/infer")
async def infer(request: InferRequest):
    tensors = parse(request)
    if isinstance(tensors, JSONResponse):
        return tensors
    try:
        if manager is None:
            logits = TextClassifier.predict(*tensors)
        else:
            logits = await manager.submit(*tensors)
    except Exception as e:  # e.g. a token id outside the vocabulary
        return error(400, str(e).strip().splitlines()[-1])
    return respond(request, logits)


@app.get("/v2/health/ready")
async def ready():
    return {"ready": TextClassifier._model is not None}


def main():
    global manager
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=("singleton", "batched"),
                        required=True)
    parser.add_argument("--model", default=DEFAULT_MODEL,
                        help=f"TorchScript file (default {DEFAULT_MODEL})")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8082)
    parser.add_argument("--threads", type=int, default=2,
                        help="torch intra-op threads (default 2)")
    parser.add_argument("--max-batch", type=int, default=32,
                        help="batched: most rows per forward (default 32)")
    parser.add_argument("--max-wait-ms", type=float, default=5.0,
                        help="batched: longest wait for more requests after "
                        "the first (default 5)")
    args = parser.parse_args()
    if not 1 <= args.max_batch <= MAX_BATCH_SIZE:
        parser.error(f"--max-batch must be in 1..{MAX_BATCH_SIZE}")

    TextClassifier.load(args.model, args.threads)
    if args.mode == "batched":
        manager = BatchManager(args.max_batch, args.max_wait_ms)
    uvicorn.run(app, host=args.host, port=args.port, workers=1,
                access_log=False, log_level="warning")


if __name__ == "__main__":
    main()
