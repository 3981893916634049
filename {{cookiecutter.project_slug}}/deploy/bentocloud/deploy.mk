# Deploy targets of deploy_target=bentocloud, included by the Makefile. They authenticate with
# BENTO_CLOUD_API_KEY (and BENTO_CLOUD_API_ENDPOINT), or a prior `bentoml cloud login`.
BENTOCLOUD_CONFIG := deploy/bentocloud/deployment.yaml

.PHONY: bentocloud-deploy

# BENTO_VERSION names a bento pushed by an earlier release (a rollback): applied, not pushed.
BENTO_VERSION ?=
export BENTO_VERSION

bentocloud-deploy: ## Push this commit's bento to BentoCloud and apply its deployment (BENTO_VERSION: apply that earlier one)
	version="$${BENTO_VERSION:-$$($(RUN) $(PACKAGE) bento-version)}" && tag="$(PACKAGE):$$version" && \
	{ [ -n "$$BENTO_VERSION" ] || $(RUN) bentoml push "$$tag"; } && \
	$(RUN) bentoml deployment apply --bento "$$tag" -f $(BENTOCLOUD_CONFIG)
