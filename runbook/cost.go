package runbook

import "regexp"

// Cost holds the assumptions of the cost case (inventory.cost, cutover
// cost): what the people cost and how the self-managed side is sized. The
// defaults are the playbook's, stated in the README.
type Cost struct {
	// HourlyRate is what an engineer hour costs, in USD.
	HourlyRate float64 `yaml:"hourly_rate"`
	// OncallHours and OpsHours are the team's monthly hours for on-call
	// and for the monitoring, backup and tooling every self-managed fleet
	// needs however small; they are shared over Clusters.
	OncallHours float64 `yaml:"oncall_hours"`
	OpsHours    float64 `yaml:"ops_hours"`
	// Clusters is how many self-managed clusters the team runs (or will).
	Clusters int `yaml:"clusters"`
	// ClusterHours is each cluster's monthly upgrades, patching and drills.
	ClusterHours float64 `yaml:"cluster_hours"`
	// MigrationHours is the one-off work of leaving, for the payback.
	MigrationHours float64 `yaml:"migration_hours"`
	// ForkHeadroom sizes a node for its data times this: a BGSAVE or
	// AOF rewrite forks, and copy-on-write needs up to twice the data.
	ForkHeadroom float64 `yaml:"fork_headroom"`
	// EC2Families are the instance families a node may be, cheapest
	// fitting first.
	EC2Families []string `yaml:"ec2_families"`
}

// DefaultCost is the cost section's defaults: the playbook's.
func DefaultCost() Cost {
	return Cost{HourlyRate: 100, OncallHours: 10, OpsHours: 4, Clusters: 1, ClusterHours: 4, MigrationHours: 40,
		ForkHeadroom: 1.5, EC2Families: []string{"r7g", "m7g", "r6g"}}
}

func (c *Cost) applyDefaults() {
	d := DefaultCost()
	orDefault(&c.HourlyRate, d.HourlyRate)
	orDefault(&c.OncallHours, d.OncallHours)
	orDefault(&c.OpsHours, d.OpsHours)
	orDefault(&c.Clusters, d.Clusters)
	orDefault(&c.ClusterHours, d.ClusterHours)
	orDefault(&c.MigrationHours, d.MigrationHours)
	orDefault(&c.ForkHeadroom, d.ForkHeadroom)
	if len(c.EC2Families) == 0 {
		c.EC2Families = d.EC2Families
	}
}

// ec2Family is an EC2 instance family such as r7g, m7i or x2iedn.
var ec2Family = regexp.MustCompile(`^[a-z][a-z0-9-]*[0-9][a-z0-9-]*$`)

func (v *validator) cost(c *Cost) {
	nonNegative := func(field string, x float64) {
		if x < 0 {
			v.fail(field, "%g is negative; give the hours or the rate as a number of 0 or more", x)
		}
	}
	nonNegative("cost.hourly_rate", c.HourlyRate)
	nonNegative("cost.oncall_hours", c.OncallHours)
	nonNegative("cost.ops_hours", c.OpsHours)
	nonNegative("cost.cluster_hours", c.ClusterHours)
	nonNegative("cost.migration_hours", c.MigrationHours)
	v.wholeNumber("cost.clusters")
	if c.Clusters < 1 {
		v.fail("cost.clusters", "%d is out of range; count the clusters the team runs, at least 1", c.Clusters)
	}
	if c.ForkHeadroom < 1 || c.ForkHeadroom > 3 {
		v.fail("cost.fork_headroom", "%g is out of range; use 1 (no persistence) to 2 (a fork under heavy writes), at most 3", c.ForkHeadroom)
	}
	for i, f := range c.EC2Families {
		if !ec2Family.MatchString(f) {
			v.fail("cost.ec2_families", "entry %d, %q, is not an EC2 instance family; write families like r7g or m7i", i, f)
		}
	}
}
