variable "github_repository" {
  description = "The GitHub repository that may assume the roles, as OWNER/REPO (case as GitHub shows it: the sub claim is compared exactly)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be OWNER/REPO, e.g. my-org/{{ cookiecutter.project_slug }}."
  }
}

variable "bucket_name" {
  description = "The S3 bucket of the DVC remote (the host part of dvc_remote_url)."
  type        = string
  default     = "{{ cookiecutter.dvc_remote_url.split('://', 1)[-1].split('/')[0] }}"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens."
  }
}

variable "aws_region" {
  description = "The AWS region of the bucket; the workflows read it as AWS_REGION."
  type        = string
  default     = "us-east-1"
}

variable "name_prefix" {
  description = "Prefix of the IAM role names."
  type        = string
  default     = "{{ cookiecutter.project_slug[:40].rstrip('-') }}-dvc"
}

variable "create_oidc_provider" {
  description = "Create GitHub's OIDC provider. An AWS account holds one per issuer URL: set false when it already exists, and it is looked up instead."
  type        = bool
  default     = true
}

variable "noncurrent_version_days" {
  description = "Days a replaced or deleted object version is kept before it expires (DVC objects are content-addressed, so versions only accumulate on deletes)."
  type        = number
  default     = 90
}
