#!/usr/bin/python3
"""The seed's async-job path for the `simple` model: Celery + Redis.

What a Python user writes instead of inferd's /v1/jobs: a FastAPI app that
enqueues a Celery task (Redis broker) and answers a task id, a Celery worker
that runs the TorchScript model (loaded once per worker process) and stores
the result in the Redis result backend, and a poll route that reads the task
state and result from there. The request and response bodies are the ones
inferd's jobs API uses, so bench/jobs/submit_poll.py drives both unchanged:

    POST /v1/jobs       {"model":"simple","route":"infer","input":{v2 infer body}}
                        -> 202 {"id": ..., "status": "queued"}
    GET  /v1/jobs/{id}  -> 200 {"id", "status": queued|running|succeeded|failed,
                                "result": {v2 infer response} when succeeded}

Two processes, both pointed at one Redis (CELERY_REDIS_URL or --redis):

    /usr/bin/python3 bench/peers/celery_simple.py worker --redis redis://127.0.0.1:6390/0 \
        --concurrency 2 --model build/examples/model_repository/simple/1/model.pt
    /usr/bin/python3 bench/peers/celery_simple.py serve --redis redis://127.0.0.1:6390/0 --port 8082

bench/jobs/compare.sh starts a loopback redis-server on a random port and
both of these. Run with Debian's interpreter (python3-celery, python3-redis,
python3-torch, python3-fastapi, uvicorn).
"""

import argparse
import os
import sys

DEFAULT_MODEL = "build/examples/model_repository/simple/1/model.pt"
INPUT_NAMES = ("INPUT0", "INPUT1")
OUTPUT_NAMES = ("OUTPUT0", "OUTPUT1")
FEATURES = 16

# Celery maps: PENDING is also what an unknown id reads as (Celery cannot tell).
STATES = {"PENDING": "queued", "RECEIVED": "queued", "RETRY": "queued",
          "STARTED": "running", "SUCCESS": "succeeded", "FAILURE": "failed",
          "REVOKED": "cancelled"}


def make_celery(redis_url):
    from celery import Celery
    app = Celery("celery_simple", broker=redis_url, backend=redis_url)
    app.conf.update(
        task_serializer="json", result_serializer="json", accept_content=["json"],
        task_track_started=True,        # "running" is visible, like inferd's jobs
        task_acks_late=True,            # a worker crash re-delivers (at-least-once)
        worker_prefetch_multiplier=4,
        result_expires=3600,            # like --job-result-ttl's default
        broker_connection_retry_on_startup=True,
    )
    return app


REDIS_URL = os.environ.get("CELERY_REDIS_URL", "redis://127.0.0.1:6379/0")
for i, arg in enumerate(sys.argv):
    if arg == "--redis" and i + 1 < len(sys.argv):
        REDIS_URL = sys.argv[i + 1]
celery_app = make_celery(REDIS_URL)


class SimpleModel:
    """Per worker process: loaded once when the process starts."""

    model = None
    path = os.environ.get("CELERY_SIMPLE_MODEL", DEFAULT_MODEL)

    @classmethod
    def load(cls):
        import torch
        torch.set_num_threads(1)
        cls.model = torch.jit.load(cls.path)
        cls.model.eval()


def _on_worker_process_init(**_):
    SimpleModel.load()


def validate(body):
    """Returns (a, b) as nested lists [[16 ints]] or raises ValueError naming the field."""
    if not isinstance(body, dict):
        raise ValueError("input: must be a v2 infer request object")
    inputs = body.get("inputs")
    if not isinstance(inputs, list):
        raise ValueError("inputs: must be a list")
    by_name = {}
    for item in inputs:
        if not isinstance(item, dict) or item.get("name") not in INPUT_NAMES:
            raise ValueError("inputs: each needs a name in %s" % (INPUT_NAMES,))
        if item.get("datatype") != "INT32":
            raise ValueError("inputs.%s.datatype: must be INT32" % item["name"])
        data = item.get("data")
        if isinstance(data, list) and data and isinstance(data[0], list):
            data = [v for row in data for v in row]
        if (not isinstance(data, list) or len(data) != FEATURES
                or not all(isinstance(v, int) for v in data)):
            raise ValueError("inputs.%s.data: must be %d integers" % (item["name"], FEATURES))
        by_name[item["name"]] = data
    for name in INPUT_NAMES:
        if name not in by_name:
            raise ValueError("inputs: missing %s" % name)
    return by_name


@celery_app.task(name="simple.infer")
def infer_task(body):
    import torch
    if SimpleModel.model is None:   # a pool without worker_process_init (solo)
        SimpleModel.load()
    by_name = validate(body)
    a = torch.tensor([by_name["INPUT0"]], dtype=torch.int32)
    b = torch.tensor([by_name["INPUT1"]], dtype=torch.int32)
    with torch.no_grad():
        out = SimpleModel.model(a, b)
    response = {"model_name": "simple", "model_version": "1", "outputs": [
        {"name": name, "datatype": "INT32", "shape": [1, FEATURES],
         "data": tensor.flatten().tolist()} for name, tensor in zip(OUTPUT_NAMES, out)]}
    if body.get("id") is not None:
        response["id"] = body["id"]
    return response


def make_api():
    from celery.result import AsyncResult
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

    api = FastAPI(title="simple jobs (Celery + Redis peer)")

    def error(status, message):
        return JSONResponse(status_code=status, content={"error": message})

    @api.post("/v1/jobs")
    async def submit(request: Request):
        try:
            doc = await request.json()
        except ValueError:
            return error(400, "json: the body is not valid JSON")
        if not isinstance(doc, dict):
            return error(400, "json: the body must be an object")
        if doc.get("model") != "simple":
            return error(404, "model: unknown model %r" % (doc.get("model"),))
        if doc.get("route", "infer") != "infer":
            return error(400, "route: must be infer")
        try:
            validate(doc.get("input"))
        except ValueError as e:
            return error(400, str(e))
        task = infer_task.delay(doc["input"])
        return JSONResponse(status_code=202, content={"id": task.id, "status": "queued"},
                            headers={"Location": "/v1/jobs/" + task.id})

    @api.get("/v1/jobs/{job_id}")
    def poll(job_id: str):   # sync route: the Redis GET blocks, so it runs in the threadpool
        result = AsyncResult(job_id, app=celery_app)
        state = result.state
        doc = {"id": job_id, "status": STATES.get(state, state.lower())}
        if state == "SUCCESS":
            doc["result"] = result.result
        elif state == "FAILURE":
            doc["error"] = str(result.result)
        return doc

    @api.get("/v2/health/ready")
    def ready():
        return {}

    return api


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("role", choices=("serve", "worker"))
    parser.add_argument("--redis", default=REDIS_URL, help="broker and result backend URL")
    parser.add_argument("--port", type=int, default=8082)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes")
    parser.add_argument("--pool", default="prefork")
    args = parser.parse_args()
    if args.role == "serve":
        import uvicorn
        uvicorn.run(make_api(), host="127.0.0.1", port=args.port, log_level="warning",
                    access_log=False)
        return
    os.environ["CELERY_SIMPLE_MODEL"] = os.path.abspath(args.model)
    SimpleModel.path = os.environ["CELERY_SIMPLE_MODEL"]
    from celery.signals import worker_process_init
    worker_process_init.connect(_on_worker_process_init, weak=False)
    celery_app.worker_main(["worker", "--loglevel=WARNING", "--pool=" + args.pool,
                            "--concurrency=%d" % args.concurrency, "--without-gossip",
                            "--without-mingle", "--without-heartbeat"])


if __name__ == "__main__":
    main()
