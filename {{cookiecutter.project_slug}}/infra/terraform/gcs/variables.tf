variable "github_repository" {
  description = "The GitHub repository whose workflows may impersonate the service accounts, as OWNER/REPO (case as GitHub shows it: the sub claim is compared exactly)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be OWNER/REPO, e.g. my-org/{{ cookiecutter.project_slug }}."
  }
}

variable "project_id" {
  description = "The Google Cloud project that holds the bucket, the workload identity pool and the service accounts."
  type        = string
}

variable "bucket_name" {
  description = "The GCS bucket of the DVC remote (the host part of dvc_remote_url)."
  type        = string
  default     = "{{ cookiecutter.dvc_remote_url.split('://', 1)[-1].split('/')[0] }}"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid GCS bucket name: 3-63 lowercase letters, digits, dots, underscores and hyphens."
  }
}

variable "location" {
  description = "Location of the bucket: a region (europe-west1) or a multi-region (US, EU)."
  type        = string
  default     = "US"
}

variable "name_prefix" {
  description = "Prefix of the service account IDs (6-30 characters once -reader or -writer is added) and of the workload identity pool ID."
  type        = string
  default     = "{{ cookiecutter.project_slug[:16].rstrip('-') }}-dvc"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,21}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 4-23 lowercase letters, digits and hyphens, starting with a letter (service account IDs allow 30 characters)."
  }
}

variable "noncurrent_version_days" {
  description = "Days a replaced or deleted object version is kept before it is deleted (DVC objects are content-addressed, so versions only accumulate on deletes)."
  type        = number
  default     = 90
}
