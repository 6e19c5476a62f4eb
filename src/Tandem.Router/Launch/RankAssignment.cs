namespace Tandem.Router.Launch;

/// <summary>
/// Which instance an MPI rank runs: the one whose rank range holds it. The first rank of an instance is its leader and
/// runs the worker server; the others would serve the leader's tensor or pipeline shards (none yet, as every
/// instance takes one rank). A world size other than the plan's total is refused with both numbers and the breakdown.
/// </summary>
public sealed record RankAssignment(LaunchInstance Instance, bool IsLeader)
{
    public static (RankAssignment? Assignment, string? Error) Assign(InstancePlan plan, MpiWorld world)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(world);
        if (world.Size != plan.TotalRanks)
        {
            return (null, $"the MPI world has {world.Size} rank(s) but the config needs {plan.TotalRanks}: {plan.Breakdown}; run mpirun -n {plan.TotalRanks}");
        }

        var instance = plan.InstanceOfRank(world.Rank)!;
        return (new RankAssignment(instance, world.Rank == instance.FirstRank), null);
    }
}
