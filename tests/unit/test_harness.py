"""The harness itself: a stock module runs in-process against moto."""

from moto import mock_aws

from ansible_collections.amazon.aws.plugins.modules import ec2_vpc_net_info


@mock_aws
def test_stock_module_runs_against_moto(run_module):
    result = run_module(ec2_vpc_net_info, {})
    assert result["failed"] is False
    # moto creates one default VPC per region
    assert len(result["vpcs"]) == 1
