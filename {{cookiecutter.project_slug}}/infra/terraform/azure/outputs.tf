# Exactly the repository variables the workflows read: copy each into
# Settings -> Secrets and variables -> Actions -> Variables (see the README).

output "AZURE_TENANT_ID" {
  description = "Directory (tenant) of the app registrations."
  value       = data.azuread_client_config.current.tenant_id
}

output "AZURE_SUBSCRIPTION_ID" {
  description = "Subscription of the storage account."
  value       = var.subscription_id
}

output "AZURE_READER_CLIENT_ID" {
  description = "Read-only app registration: pull requests and CI."
  value       = azuread_application.reader.client_id
}

output "AZURE_WRITER_CLIENT_ID" {
  description = "Read-write app registration: main and the release and retrain environments (production deploys by digest and writes no data)."
  value       = azuread_application.writer.client_id
}

output "AZURE_STORAGE_ACCOUNT" {
  description = "Storage account of the container (DVC's account_name)."
  value       = azurerm_storage_account.dvc.name
}
