#!/usr/bin/python3
"""The service a Python user writes instead of inferd, for the `simple` model.

FastAPI + uvicorn (one worker, no access log) with the TorchScript model
loaded once at startup, answering the KServe v2 JSON infer request with the
same response body inferd returns. It is the peer in bench/wrk/compare_simple.sh.

    /usr/bin/python3 bench/peers/fastapi_simple.py --port 8081 \
        --model build/examples/model_repository/simple/1/model.pt

Run with Debian's interpreter (python3-torch, python3-fastapi, uvicorn).
"""

import argparse
from typing import List, Union

import torch
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel

DEFAULT_MODEL = "build/examples/model_repository/simple/1/model.pt"
INPUT_NAMES = ("INPUT0", "INPUT1")
OUTPUT_NAMES = ("OUTPUT0", "OUTPUT1")
FEATURES = 16


class InferInput(BaseModel):
    name: str
    shape: List[int]
    datatype: str
    data: List[Union[int, List[int]]]


class InferRequest(BaseModel):
    id: Union[str, None] = None
    inputs: List[InferInput]


class SimpleModel:
    """Model singleton: loaded once, shared by every request."""

    _model = None

    @classmethod
    def load(cls, path: str):
        cls._model = torch.jit.load(path)
        cls._model.eval()

    @classmethod
    def predict(cls, a: torch.Tensor, b: torch.Tensor):
        with torch.no_grad():
            return cls._model(a, b)


app = FastAPI(title="simple (FastAPI peer)")


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": message})


def shape_text(shape: List[int]) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def to_tensor(item: InferInput) -> torch.Tensor:
    """Flattens nested or flat data and checks it against the declared shape."""
    flat = []
    for value in item.data:
        if isinstance(value, list):
            flat.extend(value)
        else:
            flat.append(value)
    if (len(item.shape) != 2 or item.shape[1] != FEATURES
            or not 1 <= item.shape[0] <= 8):
        raise ValueError(f"input \"{item.name}\": expected shape "
                         f"[-1,{FEATURES}], got {shape_text(item.shape)}")
    if len(flat) != item.shape[0] * item.shape[1]:
        raise ValueError(f"input \"{item.name}\": shape "
                         f"{shape_text(item.shape)} needs "
                         f"{item.shape[0] * item.shape[1]} values, got "
                         f"{len(flat)}")
    return torch.tensor(flat, dtype=torch.int32).reshape(item.shape)


# `async def`: the model call takes microseconds, so running it on the event
# loop is faster than FastAPI's thread pool hop for a plain `def` endpoint.
@app.post("/v2/models/simple/infer")
async def infer(request: InferRequest):
    by_name = {item.name: item for item in request.inputs}
    tensors = []
    for name in INPUT_NAMES:
        item = by_name.get(name)
        if item is None:
            return error(400, f"missing input \"{name}\"")
        if item.datatype != "INT32":
            return error(400, f"input \"{name}\": expected datatype INT32, "
                         f"got {item.datatype}")
        try:
            tensors.append(to_tensor(item))
        except ValueError as e:
            return error(400, str(e))
    if tensors[0].shape != tensors[1].shape:
        return error(400, "INPUT0 and INPUT1 must have the same shape")

    outputs = SimpleModel.predict(*tensors)
    response = {
        "model_name": "simple",
        "model_version": "1",
        "outputs": [{
            "name": name,
            "datatype": "INT32",
            "shape": list(tensor.shape),
            "data": tensor.reshape(-1).tolist(),
        } for name, tensor in zip(OUTPUT_NAMES, outputs)],
    }
    if request.id is not None:
        response["id"] = request.id
    return response


@app.get("/v2/health/ready")
async def ready():
    return {"ready": SimpleModel._model is not None}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=DEFAULT_MODEL,
                        help=f"TorchScript file (default {DEFAULT_MODEL})")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    args = parser.parse_args()

    SimpleModel.load(args.model)
    uvicorn.run(app, host=args.host, port=args.port, workers=1,
                access_log=False, log_level="warning")


if __name__ == "__main__":
    main()
