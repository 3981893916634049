# Exactly the repository variables the workflows read: copy each into
# Settings -> Secrets and variables -> Actions -> Variables (see the README).

output "AWS_REGION" {
  description = "Region of the bucket."
  value       = var.aws_region
}

output "AWS_READER_ROLE_ARN" {
  description = "Read-only role: pull requests and CI."
  value       = aws_iam_role.reader.arn
}

output "AWS_WRITER_ROLE_ARN" {
  description = "Read-write role: main and the release and retrain environments (production deploys by digest and writes no data)."
  value       = aws_iam_role.writer.arn
}
