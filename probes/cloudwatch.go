package probes

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/cutover/cutover/runbook"
)

// AWSTimeout bounds one AWS API call.
const AWSTimeout = 10 * time.Second

// cwPeriod is the CloudWatch aggregation period; counters are divided by
// it to compare with INFO's per-second rates.
const cwPeriod = 60

// CloudWatch reads the ElastiCache metrics of the source's primary node,
// or of a serverless cache.
type CloudWatch struct {
	ClusterID string // what the metrics are of: the primary node, or the serverless cache
	Dimension string // CacheClusterId for a node, clusterId for a serverless cache
	Table     Mapping
	client    *cloudwatch.Client
}

// NewCloudWatch prepares the client and finds what the metrics are of: a
// serverless cache's by its name, a replication group's primary node
// (DescribeReplicationGroups). It fails for a source that is not
// ElastiCache.
func NewCloudWatch(ctx context.Context, cfg *runbook.Config) (*CloudWatch, error) {
	if !cfg.Source.ElastiCache() {
		return nil, fmt.Errorf("CloudWatch metrics exist only for an elasticache source; this one is %s", cfg.Source.Kind)
	}
	awsCfg, err := AWSConfig(ctx, cfg.AWS)
	if err != nil {
		return nil, err
	}
	c := &CloudWatch{ClusterID: cfg.Source.ServerlessCache, Dimension: "clusterId", Table: MappingFor(cfg.Source),
		client: cloudwatch.NewFromConfig(awsCfg, func(o *cloudwatch.Options) { o.BaseEndpoint = AWSEndpoint(cfg.AWS) })}
	if !cfg.Source.Serverless() {
		c.Dimension = "CacheClusterId"
		if c.ClusterID, err = PrimaryClusterID(ctx, elastiCache(awsCfg, cfg.AWS), cfg.Source.ReplicationGroup); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Fetch reads every mapped metric's latest datapoint of the last ten
// minutes in one GetMetricData call. Counters (Evictions, NewConnections,
// NetworkBytesIn/Out, ElastiCacheProcessingUnits...) come back per second. A metric
// without a datapoint is absent from the map.
func (c *CloudWatch) Fetch(ctx context.Context) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, AWSTimeout)
	defer cancel()
	now := time.Now()
	in := &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(now.Add(-10 * time.Minute)),
		EndTime:   aws.Time(now),
		ScanBy:    cwtypes.ScanByTimestampDescending,
	}
	byID := map[string]metric{}
	for i, m := range c.Table.metrics() {
		id := fmt.Sprintf("m%d", i)
		byID[id] = m
		stat := "Average"
		if m.counter {
			stat = "Sum"
		}
		in.MetricDataQueries = append(in.MetricDataQueries, cwtypes.MetricDataQuery{
			Id: aws.String(id),
			MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{
					Namespace:  aws.String("AWS/ElastiCache"),
					MetricName: aws.String(m.name),
					Dimensions: []cwtypes.Dimension{{Name: aws.String(c.Dimension), Value: aws.String(c.ClusterID)}},
				},
				Period: aws.Int32(cwPeriod),
				Stat:   aws.String(stat),
			},
		})
	}
	out, err := c.client.GetMetricData(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("CloudWatch GetMetricData for %s: %s", c.ClusterID, ExplainAWS(err))
	}
	vals := map[string]float64{}
	for _, r := range out.MetricDataResults {
		m, ok := byID[aws.ToString(r.Id)]
		if !ok || len(r.Values) == 0 {
			continue
		}
		v := latest(r)
		if m.counter {
			v /= cwPeriod
		}
		vals[m.name] = v
	}
	return vals, nil
}

// latest is the value with the newest timestamp, whatever the order.
func latest(r cwtypes.MetricDataResult) float64 {
	best := 0
	for i := range r.Values {
		if i < len(r.Timestamps) && r.Timestamps[i].After(r.Timestamps[best]) {
			best = i
		}
	}
	return r.Values[best]
}
