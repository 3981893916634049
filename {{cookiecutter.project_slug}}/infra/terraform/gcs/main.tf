# The DVC remote's bucket, and two service accounts that GitHub Actions impersonate through
# Workload Identity Federation (no keys): a READER for pull requests and CI, a WRITER for main
# and its environments.

provider "google" {
  project = var.project_id
}

locals {
  # The OIDC `sub` claims each service account trusts, matched exactly: no wildcards.
  reader_subjects = {
    pull-request = "repo:${var.github_repository}:pull_request"
    main         = "repo:${var.github_repository}:ref:refs/heads/main"
  }
  writer_subjects = {
    main    = "repo:${var.github_repository}:ref:refs/heads/main"
    release = "repo:${var.github_repository}:environment:release"
    retrain = "repo:${var.github_repository}:environment:retrain"
  }

  trusted_subjects = sort(distinct(concat(values(local.reader_subjects), values(local.writer_subjects))))

  principal = "principal://iam.googleapis.com/${google_iam_workload_identity_pool.github.name}/subject"
}

# Token exchange (sts) and impersonation (iamcredentials) must be on; left on at destroy.
resource "google_project_service" "apis" {
  for_each           = toset(["iam.googleapis.com", "iamcredentials.googleapis.com", "sts.googleapis.com", "storage.googleapis.com"])
  service            = each.value
  disable_on_destroy = false
}

# --- The bucket ---------------------------------------------------------------------------

resource "google_storage_bucket" "dvc" {
  #checkov:skip=CKV_GCP_62:Usage logs need a second bucket to receive them; Cloud Audit Logs (data access) are the usual audit trail, enable them project-wide.
  name                        = var.bucket_name
  location                    = var.location
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  # Encrypted at rest with Google-managed keys; versioning keeps overwritten objects.
  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.noncurrent_version_days
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.apis]
}

# --- GitHub's OIDC issuer: a workload identity pool limited to this repository -------------

resource "google_iam_workload_identity_pool" "github" {
  workload_identity_pool_id = "${var.name_prefix}-github"
  display_name              = "GitHub Actions"
  description               = "GitHub Actions OIDC tokens of ${var.github_repository}"

  depends_on = [google_project_service.apis]
}

resource "google_iam_workload_identity_pool_provider" "github" {
  #checkov:skip=CKV_GCP_125:The check reads only a literal `assertion.sub == '...'`; this condition pins the repository and the exact subjects through `in`, and each service account's binding pins each subject again.
  workload_identity_pool_id          = google_iam_workload_identity_pool.github.workload_identity_pool_id
  workload_identity_pool_provider_id = "github-actions"
  display_name                       = "GitHub Actions"

  attribute_mapping = {
    "google.subject"       = "assertion.sub"
    "attribute.repository" = "assertion.repository"
  }
  # Tokens of any other repository, or with any other subject, are refused before any
  # binding is looked at; the bindings below then split the subjects between the two. An
  # environment's subject does not name its branch, so every token but a pull request's must
  # also come from main's ref: a branch's job that names `release` gets nothing here.
  attribute_condition = "assertion.repository == '${var.github_repository}' && assertion.sub in ${jsonencode(local.trusted_subjects)} && (assertion.sub == '${local.reader_subjects.pull-request}' || assertion.ref == 'refs/heads/main')"

  oidc {
    issuer_uri = "https://token.actions.githubusercontent.com"
  }
}

# --- The identities: each may be impersonated by exactly its subjects ----------------------

resource "google_service_account" "reader" {
  account_id   = "${var.name_prefix}-reader"
  display_name = "DVC remote, read-only"
  description  = "Pull requests and CI of ${var.github_repository}"
}

resource "google_service_account" "writer" {
  account_id   = "${var.name_prefix}-writer"
  display_name = "DVC remote, read-write"
  description  = "main and the release and retrain environments of ${var.github_repository}"
}

resource "google_service_account_iam_member" "reader_federation" {
  for_each           = local.reader_subjects
  service_account_id = google_service_account.reader.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "${local.principal}/${each.value}"
}

resource "google_service_account_iam_member" "writer_federation" {
  for_each           = local.writer_subjects
  service_account_id = google_service_account.writer.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "${local.principal}/${each.value}"
}

# --- What each identity may do on the bucket ----------------------------------------------

resource "google_storage_bucket_iam_member" "reader" {
  bucket = google_storage_bucket.dvc.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.reader.email}"
}

resource "google_storage_bucket_iam_member" "writer" {
  bucket = google_storage_bucket.dvc.name
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${google_service_account.writer.email}"
}
