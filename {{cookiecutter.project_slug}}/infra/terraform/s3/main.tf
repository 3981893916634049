# The DVC remote's bucket, and two identities that GitHub Actions assume through OIDC (no
# long-lived keys): a READER for pull requests and CI, a WRITER for main and its environments.

provider "aws" {
  region = var.aws_region
}

locals {
  oidc_issuer = "token.actions.githubusercontent.com"

  # The OIDC `sub` claims each role trusts, compared exactly (StringEquals): no wildcards.
  reader_subjects = {
    pull-request = "repo:${var.github_repository}:pull_request"
    main         = "repo:${var.github_repository}:ref:refs/heads/main"
  }
  writer_subjects = {
    main    = "repo:${var.github_repository}:ref:refs/heads/main"
    release = "repo:${var.github_repository}:environment:release"
    retrain = "repo:${var.github_repository}:environment:retrain"
  }

  oidc_provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : data.aws_iam_openid_connect_provider.github[0].arn
}

# --- The bucket ---------------------------------------------------------------------------

resource "aws_s3_bucket" "dvc" {
  #checkov:skip=CKV_AWS_18:Access logging needs a second bucket to receive the logs; CloudTrail data events are the usual audit trail, enable them account-wide.
  #checkov:skip=CKV_AWS_144:Cross-region replication doubles storage cost; the DVC cache can be rebuilt from the pipeline and is versioned here.
  #checkov:skip=CKV_AWS_145:Encrypted with S3-managed keys (SSE-S3); a customer-managed KMS key would need kms: grants in both role policies. Switch if your policy requires it.
  #checkov:skip=CKV2_AWS_62:No consumer of bucket events: DVC reads and writes the objects directly.
  bucket = var.bucket_name
}

resource "aws_s3_bucket_public_access_block" "dvc" {
  bucket                  = aws_s3_bucket.dvc.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "dvc" {
  bucket = aws_s3_bucket.dvc.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "dvc" {
  bucket = aws_s3_bucket.dvc.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "dvc" {
  bucket = aws_s3_bucket.dvc.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "dvc" {
  bucket = aws_s3_bucket.dvc.id

  rule {
    id     = "expire-old-versions"
    status = "Enabled"
    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.dvc]
}

# Requests over plain HTTP are refused, whoever makes them.
data "aws_iam_policy_document" "tls_only" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.dvc.arn, "${aws_s3_bucket.dvc.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "dvc" {
  bucket = aws_s3_bucket.dvc.id
  policy = data.aws_iam_policy_document.tls_only.json

  depends_on = [aws_s3_bucket_public_access_block.dvc]
}

# --- GitHub's OIDC provider (one per AWS account) -----------------------------------------

resource "aws_iam_openid_connect_provider" "github" {
  count          = var.create_oidc_provider ? 1 : 0
  url            = "https://${local.oidc_issuer}"
  client_id_list = ["sts.amazonaws.com"]
}

data "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 0 : 1
  url   = "https://${local.oidc_issuer}"
}

# --- Trust: who may assume each role ------------------------------------------------------

data "aws_iam_policy_document" "reader_trust" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:sub"
      values   = values(local.reader_subjects)
    }
  }
}

data "aws_iam_policy_document" "writer_trust" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:sub"
      values   = values(local.writer_subjects)
    }
  }
}

# --- What each role may do on the bucket --------------------------------------------------

data "aws_iam_policy_document" "reader" {
  statement {
    sid       = "ListTheRemote"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [aws_s3_bucket.dvc.arn]
  }
  statement {
    sid       = "ReadObjects"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.dvc.arn}/*"]
  }
}

data "aws_iam_policy_document" "writer" {
  statement {
    sid       = "ListTheRemote"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [aws_s3_bucket.dvc.arn]
  }
  statement {
    sid       = "ReadWriteObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.dvc.arn}/*"]
  }
}

resource "aws_iam_role" "reader" {
  name                 = "${var.name_prefix}-reader"
  description          = "DVC remote, read-only: pull requests and CI of ${var.github_repository}"
  assume_role_policy   = data.aws_iam_policy_document.reader_trust.json
  max_session_duration = 3600
}

resource "aws_iam_role_policy" "reader" {
  name   = "dvc-remote-read"
  role   = aws_iam_role.reader.id
  policy = data.aws_iam_policy_document.reader.json
}

resource "aws_iam_role" "writer" {
  name                 = "${var.name_prefix}-writer"
  description          = "DVC remote, read-write: main and its environments of ${var.github_repository}"
  assume_role_policy   = data.aws_iam_policy_document.writer_trust.json
  max_session_duration = 3600
}

resource "aws_iam_role_policy" "writer" {
  name   = "dvc-remote-write"
  role   = aws_iam_role.writer.id
  policy = data.aws_iam_policy_document.writer.json
}
