using Tandem.Router.Configuration;

namespace Tandem.Router.Launch;

/// <summary>
/// Every worker a disaggregated config describes, in TensorRT-LLM's order (<c>split_world_comm</c>): context instances,
/// then generation instances, each in <c>urls</c> order; a URL in both sections (a mixed server) is one instance, at
/// its context position. Each takes <c>tensor_parallel_size × pipeline_parallel_size</c> consecutive MPI ranks.
/// Pure: built from a loaded <see cref="RouterConfig"/>, it starts nothing.
/// </summary>
public sealed record InstancePlan(IReadOnlyList<LaunchInstance> Instances)
{
    /// <summary>The MPI world size the plan needs: the sum of every instance's ranks.</summary>
    public int TotalRanks => Instances.Sum(i => i.Ranks);

    /// <summary>One line per instance with its ranks, for error messages.</summary>
    public string Breakdown => string.Join("; ", Instances);

    public int ContextCount => Instances.Count(i => i.Role is InstanceRole.Context or InstanceRole.Both);

    public int GenerationCount => Instances.Count(i => i.Role is InstanceRole.Generation or InstanceRole.Both);

    /// <summary>The plan, or every reason it cannot be made (a parallel size above 1, a section without a model).</summary>
    public static PlanResult Create(RouterConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var problems = new List<string>();
        var sections = new[] { (Name: ConfigKeys.ContextServers, Section: config.ContextServers), (Name: ConfigKeys.GenerationServers, Section: config.GenerationServers) };
        foreach (var (name, section) in sections.Where(s => s.Section.Urls.Count > 0))
        {
            foreach (var (key, size) in new[] { ("tensor_parallel_size", section.TensorParallelSize), ("pipeline_parallel_size", section.PipelineParallelSize) })
            {
                if (size != 1)
                {
                    problems.Add($"{name}.{key}: is {size}, but Tandem has no tensor or pipeline parallelism yet; each instance runs on one rank, so set it to 1");
                }
            }

            if (string.IsNullOrWhiteSpace(section.WorkerSettings.GetValueOrDefault("model")))
            {
                problems.Add($"{name}: no model to start its servers with; set model at the top level (or in the section)");
            }
        }

        if (problems.Count > 0)
        {
            return new PlanResult(null, problems);
        }

        var instances = new List<LaunchInstance>();
        var context = config.ContextServers.Urls;
        var generation = config.GenerationServers.Urls;
        foreach (var url in context)
        {
            Add(instances, url, generation.Contains(url) ? InstanceRole.Both : InstanceRole.Context, config.ContextServers);
        }

        foreach (var url in generation.Where(u => !context.Contains(u)))
        {
            Add(instances, url, InstanceRole.Generation, config.GenerationServers);
        }

        return new PlanResult(new InstancePlan(instances), []);
    }

    /// <summary>The instance whose rank range holds <paramref name="rank"/>; null past the last one.</summary>
    public LaunchInstance? InstanceOfRank(int rank) =>
        Instances.FirstOrDefault(i => rank >= i.FirstRank && rank < i.FirstRank + i.Ranks);

    private static void Add(List<LaunchInstance> instances, Uri url, InstanceRole role, ServerSectionConfig section)
    {
        var (model, flags, yaml) = WorkerConfigText.Split(section.WorkerSettings);
        var firstRank = instances.Sum(i => i.Ranks);
        instances.Add(new LaunchInstance
        {
            Index = instances.Count,
            Url = url,
            Role = role,
            Ranks = section.TensorParallelSize * section.PipelineParallelSize,
            FirstRank = firstRank,
            Model = model!,
            Flags = flags,
            ConfigYaml = yaml,
        });
    }
}
