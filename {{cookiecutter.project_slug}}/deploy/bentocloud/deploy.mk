# Deploy targets of deploy_target=bentocloud, included by the Makefile. They authenticate with
# BENTO_CLOUD_API_KEY (and BENTO_CLOUD_API_ENDPOINT), or a prior `bentoml cloud login`.
BENTOCLOUD_CONFIG := deploy/bentocloud/deployment.yaml

.PHONY: bentocloud-deploy

bentocloud-deploy: ## Push this commit's bento to BentoCloud and apply its deployment
	version="$$($(RUN) $(PACKAGE) bento-version)" && tag="$(PACKAGE):$$version" && \
	$(RUN) bentoml push "$$tag" && \
	$(RUN) bentoml deployment apply --bento "$$tag" -f $(BENTOCLOUD_CONFIG)
