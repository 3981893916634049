# Exactly the repository variables the workflows read: copy each into
# Settings -> Secrets and variables -> Actions -> Variables (see the README).

output "GCP_WORKLOAD_IDENTITY_PROVIDER" {
  description = "Full resource name of the workload identity provider."
  value       = google_iam_workload_identity_pool_provider.github.name
}

output "GCP_READER_SERVICE_ACCOUNT" {
  description = "Read-only service account: pull requests and CI."
  value       = google_service_account.reader.email
}

output "GCP_WRITER_SERVICE_ACCOUNT" {
  description = "Read-write service account: main and the release and retrain environments (production deploys by digest and writes no data)."
  value       = google_service_account.writer.email
}
