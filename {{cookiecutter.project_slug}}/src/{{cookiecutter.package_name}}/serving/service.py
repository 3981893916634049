"""The prediction service: BentoML 1.4, serving exactly the reviewed model. POST /predict
checks each record against the data contract (payload.py: a bad one is a 400 naming the field),
merges concurrent requests into one model call on the event loop (batching.py) and answers
errors in one JSON shape (http_guard.py). With monitoring, predictions go to the inference log."""

from __future__ import annotations

import gc
import os
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import bentoml
from bentoml.validators import ContentType
from threadpoolctl import ThreadpoolController

from ..core.contract import serving_columns
from ..core.lockfile import model_tag
from ..core.model_call import for_serving, one_warning_filter
from ..core.model_file import load_model
from ..core.params import PACKAGE, load_params
from ..core.paths import MODEL_FILE, SERVING_REQUIREMENTS
from .batching import ContinuousBatcher
from .http_guard import HttpGuard, install_request_timeout, max_body_bytes
from .payload import (
    Prediction,
    prediction_ids,
    record_model,
    request_model,
    to_frame,
    unknown_categories,
)
from .prediction_metrics import observe, prediction_metric

# Left undeclared, BentoML derives the media type of every response from the output model's
# JSON schema, a large share of each request's CPU.
JSON = ContentType("application/json")

PARAMS = load_params()
FEATURES, TARGET = serving_columns(PARAMS.data.schema_file, PARAMS.data.target)
PredictRequest = request_model(record_model(FEATURES), PARAMS.serve.max_batch_size)
# The image installs exactly uv.lock's files, hash-checked (`make bento` exports them to
# SERVING_REQUIREMENTS; BentoML's locking would resolve anew and drop the hashes). An unknown
# `distro` name skips BentoML's 640 MB `apt-get install build-essential git ...` layer (then use
# `.run("apt-get ...")`, not `.system_packages()`). The base python:X.Y-slim is pinned by digest
# (update: `docker buildx imagetools inspect python:X.Y-slim`); BASE_IMAGE overrides it.
{%- set base_digests = {
    "3.11": "9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7",
    "3.12": "78387bc3881b8273120a12ebe6c1ab22b018ccc2c9adf565ae1ac9b536e184ea",
    "3.13": "7c61056e61ac89e852de05f3dc6fa51a6dd2181797bceed46aa725dd7cb2cd3b",
} %}
BASE_IMAGE = (
    "python:{{ cookiecutter.python_version }}-slim@sha256:{{ base_digests[cookiecutter.python_version] }}"
)
IMAGE = bentoml.images.Image(
    base_image=os.environ.get("BASE_IMAGE") or BASE_IMAGE,
    distro="python-slim",
    lock_python_packages=False,
)
if SERVING_REQUIREMENTS.exists():  # building; a running service never reads the image
    IMAGE = IMAGE.requirements_file(str(SERVING_REQUIREMENTS))
install_request_timeout()  # BentoML's keeps every request in memory until its timeout


@bentoml.service(
    name=PACKAGE,
    image=IMAGE,
    workers=PARAMS.serve.workers,
    traffic={"timeout": PARAMS.serve.request_timeout_s},
)
class Predictor:
    model_ref = bentoml.models.BentoModel(model_tag())

    def __init__(self) -> None:
        self.model = for_serving(load_model(Path(self.model_ref.path_of(MODEL_FILE.name))))
        # One OpenMP thread, set per call (limits are per thread): gradient boosting otherwise
        # wakes every core for each tree, which costs a small batch more than its prediction.
        self.threads = ThreadpoolController()
        import prometheus_client  # here, in the worker: BentoML set up multiprocess metrics

        self.unknown = prometheus_client.Counter(
            f"{PACKAGE}_unknown_category",
            "Values of a one-hot encoded column the model never saw, by column",
            ["column"],
        )
        self.predicted = prediction_metric(TARGET)
        self.batch_records = prometheus_client.Histogram(
            f"{PACKAGE}_batch_records",
            "Records per model call: concurrent requests merged by the batcher",
            buckets=[2**n for n in range(11)],  # 1 to 1024
        )
        self.batcher = ContinuousBatcher(
            self.predict_batch, PARAMS.serve.max_batch_size, PARAMS.serve.max_latency_ms / 1000
        )
{%- if cookiecutter.monitoring == 'yes' %}
        from ..core.inference_log import open_log

        dropped = prometheus_client.Counter(
            f"{PACKAGE}_inference_log_dropped", "Inference log entries dropped: queue full"
        )
        self.log = open_log(PARAMS.serve, dropped.inc)
{%- else %}
        self.log = None
{%- endif %}
        # The ~200,000 objects loaded so far live as long as the worker: frozen, the cyclic GC
        # stops re-scanning them, so full collections no longer pause requests.
        gc.freeze()

    @bentoml.api(route="/predict", input_spec=PredictRequest)
    async def predict(self, records: list[Any]) -> Annotated[list[Prediction], JSON]:
        """`id` names each prediction (labels join on it later); `warnings` lists values the
        model ignores. Requests are validated before batching: a bad one fails no other."""
        return await self.batcher(records)

    def predict_batch(self, records: list[Any]) -> list[Prediction]:
        """One model call for every request in the batch; metrics and log entry per batch."""
        self.batch_records.observe(len(records))
        frame = to_frame(records, FEATURES)
        with self.threads.limit(limits=1, user_api="openmp"), one_warning_filter():
            predictions = self.model.predict(frame).tolist()
        unknown = unknown_categories(records, FEATURES)
        for column, count in Counter(c for found in unknown.values() for c in found).items():
            self.unknown.labels(column=column).inc(count)
        observe(self.predicted, predictions)
        ids = prediction_ids(len(predictions))
        if self.log is not None:
            self.log.record_batch(records, FEATURES, predictions, ids)
        return [
            Prediction(id=id_, prediction=value, warnings=list(unknown.get(index, {}).values()))
            for index, (id_, value) in enumerate(zip(ids, predictions, strict=True))
        ]


Predictor.add_asgi_middleware(
    HttpGuard,
    json_routes=["/predict"],
    max_bytes=max_body_bytes(FEATURES, PARAMS.serve.max_batch_size),
)
