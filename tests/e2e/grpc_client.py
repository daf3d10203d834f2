"""A small KServe v2 gRPC client for the end-to-end tests, on Debian's python3-grpcio.

The message classes are generated at import time from the server's own
src/grpc/grpc_service.proto with protoc (protobuf-compiler) into a temp
folder; the calls use grpcio's generic multi-callables, so no generated
service stubs (python3-grpc-tools) are needed.
"""

import atexit
import importlib
import os
import shutil
import subprocess
import sys
import tempfile

import grpc

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVICE = "inference.GRPCInferenceService"


def _generate():
    out = tempfile.mkdtemp(prefix="inferd-grpc-pb-")
    atexit.register(shutil.rmtree, out, True)
    src = os.path.join(REPO_ROOT, "src")
    # grpc_service.proto is compiled from its own folder, so its module is
    # top-level (a package named "grpc" would shadow grpcio).
    subprocess.run(["protoc", "-I", os.path.join(src, "grpc"), "-I", src, "--python_out", out,
                    os.path.join(src, "grpc", "grpc_service.proto"),
                    os.path.join(src, "config", "model_config.proto")],
                   check=True, capture_output=True)
    sys.path.insert(0, out)
    try:
        return importlib.import_module("grpc_service_pb2")
    finally:
        sys.path.remove(out)


pb = _generate()

# rpc name -> (request class, response class)
UNARY = {
    "ServerLive": (pb.ServerLiveRequest, pb.ServerLiveResponse),
    "ServerReady": (pb.ServerReadyRequest, pb.ServerReadyResponse),
    "ModelReady": (pb.ModelReadyRequest, pb.ModelReadyResponse),
    "ServerMetadata": (pb.ServerMetadataRequest, pb.ServerMetadataResponse),
    "ModelMetadata": (pb.ModelMetadataRequest, pb.ModelMetadataResponse),
    "ModelInfer": (pb.ModelInferRequest, pb.ModelInferResponse),
    "ModelConfig": (pb.ModelConfigRequest, pb.ModelConfigResponse),
    "ModelStatistics": (pb.ModelStatisticsRequest, pb.ModelStatisticsResponse),
    "RepositoryIndex": (pb.RepositoryIndexRequest, pb.RepositoryIndexResponse),
    "RepositoryModelLoad": (pb.RepositoryModelLoadRequest, pb.RepositoryModelLoadResponse),
    "RepositoryModelUnload": (pb.RepositoryModelUnloadRequest, pb.RepositoryModelUnloadResponse),
}


class GrpcClient:
    """One channel to the server's gRPC port. Thread-safe (grpcio channels are)."""

    def __init__(self, port, metadata=None):
        self.channel = grpc.insecure_channel("127.0.0.1:%d" % port)
        self.metadata = list(metadata or [])
        self._calls = {}
        for rpc, (request, response) in UNARY.items():
            self._calls[rpc] = self.channel.unary_unary(
                "/%s/%s" % (SERVICE, rpc), request_serializer=request.SerializeToString,
                response_deserializer=response.FromString)
        self._stream = self.channel.stream_stream(
            "/%s/ModelStreamInfer" % SERVICE, request_serializer=pb.ModelInferRequest.SerializeToString,
            response_deserializer=pb.ModelStreamInferResponse.FromString)

    def close(self):
        self.channel.close()

    def call(self, rpc, request=None, timeout=60, metadata=None, **fields):
        """Calls unary `rpc` with `request` (or a request built from `fields`); returns the response
        or raises grpc.RpcError."""
        if request is None:
            request = UNARY[rpc][0](**fields)
        return self._calls[rpc](request, timeout=timeout, metadata=self._metadata(metadata))

    def future(self, rpc, request, timeout=120, metadata=None):
        return self._calls[rpc].future(request, timeout=timeout, metadata=self._metadata(metadata))

    def stream(self, requests, timeout=120, metadata=None):
        """ModelStreamInfer over the iterable `requests`; returns the iterator of responses."""
        return self._stream(iter(requests), timeout=timeout, metadata=self._metadata(metadata))

    def _metadata(self, extra):
        return self.metadata + list(extra or [])
