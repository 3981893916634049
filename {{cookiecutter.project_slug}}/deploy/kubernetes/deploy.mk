# Deploy targets of deploy_target=kubernetes, included by the Makefile. The release's deploy
# job calls them in this order; each works from a laptop with a kubeconfig too.
K8S_DIR := deploy/kubernetes
K8S_APP := {{ cookiecutter.project_slug }}
K8S_TIMEOUT ?= 300s
SMOKE_PORT ?= 3000

.PHONY: k8s-image k8s-render k8s-apply k8s-rollout k8s-smoke k8s-undo k8s-deploy

k8s-image: ## Pin the kustomize base to IMAGE, by digest (IMAGE=ghcr.io/org/repo@sha256:...)
	cd $(K8S_DIR) && kustomize edit set image "$(K8S_APP)=$(IMAGE)"

k8s-render: ## Print the manifests `make k8s-apply` applies
	kubectl kustomize $(K8S_DIR)

k8s-apply: ## Apply the manifests to the cluster of the current kubeconfig context
	kubectl apply -k $(K8S_DIR)

k8s-rollout: ## Wait until the new pods are ready, or fail after K8S_TIMEOUT
	kubectl rollout status deployment/$(K8S_APP) --timeout=$(K8S_TIMEOUT)

k8s-smoke: ## Through a port-forward: /readyz, then one prediction
	kubectl port-forward service/$(K8S_APP) $(SMOKE_PORT):http >/dev/null & \
	forward=$$!; trap 'kill $$forward' EXIT; \
	SERVICE_URL=http://127.0.0.1:$(SMOKE_PORT) $(RUN) $(PACKAGE) smoke

k8s-undo: ## Roll the deployment back to its previous revision and wait for it
	kubectl rollout undo deployment/$(K8S_APP)
	kubectl rollout status deployment/$(K8S_APP) --timeout=$(K8S_TIMEOUT)

k8s-deploy: ## Pin IMAGE, apply, wait and smoke-test, as the deploy job does; on a failure after the apply, undo and fail
	$(MAKE) k8s-image k8s-apply
	$(MAKE) k8s-rollout k8s-smoke || { $(MAKE) k8s-undo; exit 1; }
