using Tandem.Router.Configuration;
using Tandem.Router.Launch;

namespace Tandem.Router.Tests.Launch;

public sealed class MpiWorldTests
{
    public static TheoryData<string, int, int, string> Launchers => new()
    {
        { "OMPI_COMM_WORLD_RANK=1 OMPI_COMM_WORLD_SIZE=3", 1, 3, "OMPI_COMM_WORLD_RANK" },
        { "PMI_RANK=2 PMI_SIZE=3", 2, 3, "PMI_RANK" },
        { "PMIX_RANK=0 OMPI_COMM_WORLD_SIZE=3", 0, 3, "PMIX_RANK" },
        { "SLURM_PROCID=1 SLURM_NTASKS=2", 1, 2, "SLURM_PROCID" },
        { "OMPI_COMM_WORLD_RANK=0 OMPI_COMM_WORLD_SIZE=2 SLURM_PROCID=5 SLURM_NTASKS=8", 0, 2, "OMPI_COMM_WORLD_RANK" },
    };

    public static TheoryData<string, string> BadEnvironments => new()
    {
        { "", "not started by an MPI launcher" },
        { "PMI_RANK=1", "PMI_RANK is set but the world size is not (PMI_SIZE)" },
        { "PMIX_RANK=1", "PMIX_RANK is set but the world size is not" },
        { "PMI_RANK=x PMI_SIZE=3", "are not a rank and a world size" },
        { "PMI_RANK=3 PMI_SIZE=3", "PMI_RANK=3 is outside a world of 3 rank(s)" },
    };

    /// <summary>World size against the plan's 3 ranks (2 context + 1 generation): the error names both numbers and the breakdown.</summary>
    public static TheoryData<int, string?> WorldSizes => new()
    {
        { 1, "the MPI world has 1 rank(s) but the config needs 3: context localhost:8001 (rank 0); context localhost:8002 (rank 1); generation localhost:8003 (rank 2); run mpirun -n 3" },
        { 2, "the MPI world has 2 rank(s) but the config needs 3:" },
        { 3, null },
        { 4, "the MPI world has 4 rank(s) but the config needs 3:" },
    };

    [Theory]
    [MemberData(nameof(Launchers))]
    public void Rank_and_size_come_from_the_launcher_variables(string environment, int rank, int size, string source)
    {
        var (world, error) = MpiWorld.Read(Environment(environment));

        Assert.Null(error);
        Assert.Equal(new MpiWorld(rank, size, source), world);
    }

    [Theory]
    [MemberData(nameof(BadEnvironments))]
    public void A_missing_or_malformed_world_is_an_error(string environment, string message)
    {
        var (world, error) = MpiWorld.Read(Environment(environment));

        Assert.Null(world);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(WorldSizes))]
    public void The_world_size_must_equal_the_plans_total(int size, string? message)
    {
        var (assignment, error) = RankAssignment.Assign(Plan(), new MpiWorld(0, size, "PMI_RANK"));

        if (message is null)
        {
            Assert.Null(error);
            Assert.NotNull(assignment);
        }
        else
        {
            Assert.Null(assignment);
            Assert.StartsWith(message, error, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(0, "ctx:8001")]
    [InlineData(1, "ctx:8002")]
    [InlineData(2, "gen:8003")]
    public void Each_rank_leads_its_instance(int rank, string label)
    {
        var (assignment, _) = RankAssignment.Assign(Plan(), new MpiWorld(rank, 3, "PMI_RANK"));

        Assert.Equal(label, assignment!.Instance.Label);
        Assert.True(assignment.IsLeader);
    }

    private static InstancePlan Plan()
    {
        var loaded = RouterConfigLoader.Load("model: m\ncontext_servers:\n  urls: [\"localhost:8001\", \"localhost:8002\"]\ngeneration_servers:\n  urls: [\"localhost:8003\"]\n");
        return InstancePlan.Create(loaded.Config!).Plan!;
    }

    private static Func<string, string?> Environment(string assignments)
    {
        var variables = assignments.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(a => a.Split('=')).ToDictionary(a => a[0], a => a[1]);
        return name => variables.GetValueOrDefault(name);
    }
}
