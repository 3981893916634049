# The DVC remote's storage account and container, and two app registrations that GitHub
# Actions sign in as through federated credentials (no client secrets): a READER for pull
# requests and CI, a WRITER for main and its environments.

provider "azurerm" {
  subscription_id     = var.subscription_id
  storage_use_azuread = true
  features {}
}

provider "azuread" {}

data "azuread_client_config" "current" {}

locals {
  # The OIDC `sub` claims each app registration trusts, one federated credential each,
  # matched exactly: no wildcards. The keys name the credentials.
  reader_subjects = {
    pull-request = "repo:${var.github_repository}:pull_request"
    main         = "repo:${var.github_repository}:ref:refs/heads/main"
  }
  writer_subjects = {
    main    = "repo:${var.github_repository}:ref:refs/heads/main"
    release = "repo:${var.github_repository}:environment:release"
    retrain = "repo:${var.github_repository}:environment:retrain"
  }
}

resource "azurerm_resource_group" "dvc" {
  name     = var.resource_group_name
  location = var.location
}

# --- The storage account and container ---------------------------------------------------

resource "azurerm_storage_account" "dvc" {
  #checkov:skip=CKV_AZURE_35:GitHub-hosted runners have no fixed addresses, so the network default cannot be Deny; access needs an Entra ID identity (shared keys are off).
  #checkov:skip=CKV_AZURE_59:Same reason: GitHub-hosted runners reach the account over its public endpoint, authenticated by Entra ID only.
  #checkov:skip=CKV2_AZURE_33:A private endpoint is unreachable from GitHub-hosted runners.
  #checkov:skip=CKV2_AZURE_1:Encrypted with Microsoft-managed keys; a customer-managed key needs a Key Vault and its access policy. Add one if your policy requires it.
  #checkov:skip=CKV_AZURE_33:The account holds blobs only: there is no queue service to log.
  name                              = var.storage_account_name
  resource_group_name               = azurerm_resource_group.dvc.name
  location                          = azurerm_resource_group.dvc.location
  account_kind                      = "StorageV2"
  account_tier                      = "Standard"
  account_replication_type          = "GRS"
  min_tls_version                   = "TLS1_2"
  https_traffic_only_enabled        = true
  allow_nested_items_to_be_public   = false
  shared_access_key_enabled         = false
  local_user_enabled                = false
  infrastructure_encryption_enabled = true
  default_to_oauth_authentication   = true

  sas_policy {
    expiration_period = "0.01:00:00"
  }

  blob_properties {
    versioning_enabled = true
    delete_retention_policy {
      days = var.retention_days
    }
    container_delete_retention_policy {
      days = var.retention_days
    }
  }
}

resource "azurerm_storage_container" "dvc" {
  #checkov:skip=CKV2_AZURE_21:Blob read logging needs a diagnostic setting and a Log Analytics workspace; add one where your organisation collects logs.
  name                  = var.container_name
  storage_account_id    = azurerm_storage_account.dvc.id
  container_access_type = "private"
}

# --- The identities: an app registration each, trusting exactly its subjects -------------

resource "azuread_application" "reader" {
  display_name = "${var.name_prefix}-reader"
  owners       = [data.azuread_client_config.current.object_id]
}

resource "azuread_service_principal" "reader" {
  client_id = azuread_application.reader.client_id
  owners    = [data.azuread_client_config.current.object_id]
}

resource "azuread_application_federated_identity_credential" "reader" {
  for_each       = local.reader_subjects
  application_id = azuread_application.reader.id
  display_name   = "github-${each.key}"
  description    = "GitHub Actions of ${var.github_repository}: ${each.value}"
  audiences      = ["api://AzureADTokenExchange"]
  issuer         = "https://token.actions.githubusercontent.com"
  subject        = each.value
}

resource "azuread_application" "writer" {
  display_name = "${var.name_prefix}-writer"
  owners       = [data.azuread_client_config.current.object_id]
}

resource "azuread_service_principal" "writer" {
  client_id = azuread_application.writer.client_id
  owners    = [data.azuread_client_config.current.object_id]
}

resource "azuread_application_federated_identity_credential" "writer" {
  for_each       = local.writer_subjects
  application_id = azuread_application.writer.id
  display_name   = "github-${each.key}"
  description    = "GitHub Actions of ${var.github_repository}: ${each.value}"
  audiences      = ["api://AzureADTokenExchange"]
  issuer         = "https://token.actions.githubusercontent.com"
  subject        = each.value
}

# --- What each identity may do on the container ------------------------------------------

resource "azurerm_role_assignment" "reader" {
  scope                = azurerm_storage_container.dvc.id
  role_definition_name = "Storage Blob Data Reader"
  principal_id         = azuread_service_principal.reader.object_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_role_assignment" "writer" {
  scope                = azurerm_storage_container.dvc.id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azuread_service_principal.writer.object_id
  principal_type       = "ServicePrincipal"
}
