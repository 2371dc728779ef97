"""module_utils/config.validate_delivery_channel: what PutDeliveryChannel accepts, refused before any call."""

from __future__ import annotations

import pytest

from ansible_collections.netsec.aws_peering.plugins.module_utils.config import ConfigValidationError
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import validate_delivery_channel

KEY_ARN = "arn:aws:kms:us-east-1:111111111111:key/12345678-1234-1234-1234-123456789012"
TOPIC_ARN = "arn:aws:sns:us-east-1:111111111111:config-trading-prod"


def channel(**overrides):
    return {"s3_bucket_name": "config-trading-111111111111-prod", "s3_kms_key_arn": KEY_ARN, "sns_topic_arn": TOPIC_ARN, **overrides}


def test_a_valid_channel_keeps_its_values():
    desired = validate_delivery_channel(channel(), "default")
    assert (desired["name"], desired["s3_kms_key_arn"], desired["sns_topic_arn"]) == ("default", KEY_ARN, TOPIC_ARN)


@pytest.mark.parametrize("overrides, fragment", [
    ({"s3_bucket_name": None}, "s3_bucket_name"),
    ({"s3_bucket_name": "config..trading"}, "adjacent dots"),
    ({"s3_bucket_name": "10.0.0.1"}, "IP address"),
    ({"s3_bucket_name": "config-trading-s3alias"}, "'-s3alias'"),
    ({"s3_kms_key_arn": "arn:aws:kms:us-east-1:111111111111:alias/config"}, "s3_kms_key_arn"),  # an alias is not the key
    ({"s3_kms_key_arn": "alias/config"}, "s3_kms_key_arn"),
    ({"sns_topic_arn": "arn:aws:sqs:us-east-1:111111111111:q"}, "sns_topic_arn"),
    ({"s3_key_prefix": "AWSLogs"}, "s3_key_prefix"),
])
def test_refused_before_any_call(overrides, fragment):
    with pytest.raises(ConfigValidationError, match=fragment):
        validate_delivery_channel(channel(**overrides), "default")
