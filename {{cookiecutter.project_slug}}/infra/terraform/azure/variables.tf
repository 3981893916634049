variable "github_repository" {
  description = "The GitHub repository whose workflows may sign in as the app registrations, as OWNER/REPO (case as GitHub shows it: the sub claim is compared exactly)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be OWNER/REPO, e.g. my-org/{{ cookiecutter.project_slug }}."
  }
}

variable "subscription_id" {
  description = "The Azure subscription that holds the storage account."
  type        = string
}

variable "location" {
  description = "Azure region of the resource group and the storage account."
  type        = string
  default     = "westeurope"
}

variable "resource_group_name" {
  description = "Resource group created for the DVC remote."
  type        = string
  default     = "{{ cookiecutter.project_slug }}-dvc"
}

variable "storage_account_name" {
  description = "Storage account of the DVC remote: globally unique, 3-24 lowercase letters and digits. DVC needs it too: dvc remote modify storage account_name <name>."
  type        = string
  default     = "{{ cookiecutter.project_slug.replace('-', '')[:21] }}dvc"

  validation {
    condition     = can(regex("^[a-z0-9]{3,24}$", var.storage_account_name))
    error_message = "storage_account_name must be 3-24 lowercase letters and digits."
  }
}

variable "container_name" {
  description = "The blob container of the DVC remote (the host part of dvc_remote_url)."
  type        = string
  default     = "{{ cookiecutter.dvc_remote_url.split('://', 1)[-1].split('/')[0] }}"

  validation {
    condition     = can(regex("^[a-z0-9](-?[a-z0-9])*$", var.container_name)) && length(var.container_name) >= 3 && length(var.container_name) <= 63
    error_message = "container_name must be 3-63 lowercase letters, digits and single hyphens."
  }
}

variable "name_prefix" {
  description = "Prefix of the app registrations' display names."
  type        = string
  default     = "{{ cookiecutter.project_slug }}-dvc"
}

variable "retention_days" {
  description = "Days a deleted blob, blob version or container can be restored."
  type        = number
  default     = 30
}
