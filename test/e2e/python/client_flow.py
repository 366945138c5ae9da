"""Drives podplane with the official Kubernetes Python client (a client podplane's code does not
use), and prints one JSON object of what it saw for the e2e test to check.

Usage: python3 client_flow.py KUBECONFIG NAMESPACE
"""

import json
import sys

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

kubeconfig, namespace = sys.argv[1], sys.argv[2]
config.load_kube_config(config_file=kubeconfig)
core = client.CoreV1Api()
seen = {}


def pod(name):
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name, labels={"app": "py"}),
        spec=client.V1PodSpec(containers=[client.V1Container(name="app", image="nginx:1.27")]),
    )


def status_of(call):
    try:
        call()
        return 200
    except ApiException as error:
        return error.status


# Server-side dry run: answered like a create, stored nowhere.
dry = core.create_namespaced_pod(namespace, pod("py-dry"), dry_run="All")
seen["dryRunName"] = dry.metadata.name
seen["dryRunThenGet"] = status_of(lambda: core.read_namespaced_pod("py-dry", namespace))

created = core.create_namespaced_pod(namespace, pod("py-web"))
seen["createdUid"] = bool(created.metadata.uid)

# The client sends watch=True; podplane must answer with watch events, not a list.
events = []
for event in watch.Watch().stream(core.list_namespaced_pod, namespace, label_selector="app=py", timeout_seconds=2):
    events.append([event["type"], event["object"].metadata.name])
    if event["object"].metadata.name == "py-web":
        break
seen["watchEvents"] = events

patched = core.patch_namespaced_pod("py-web", namespace, {"metadata": {"labels": {"tier": "web"}}})
seen["patchedLabels"] = patched.metadata.labels

selected = core.list_namespaced_pod(namespace, label_selector="tier=web")
seen["selected"] = [p.metadata.name for p in selected.items]

core.delete_namespaced_pod("py-web", namespace, dry_run="All")
seen["afterDryDelete"] = core.read_namespaced_pod("py-web", namespace).metadata.deletion_timestamp is None

try:
    core.create_namespaced_pod(namespace, pod("py-yes"), dry_run="Yes")
    seen["badDryRun"] = None
except ApiException as error:
    seen["badDryRun"] = [error.status, json.loads(error.body)["reason"]]

core.delete_namespaced_pod("py-web", namespace, grace_period_seconds=0)
print(json.dumps(seen))
