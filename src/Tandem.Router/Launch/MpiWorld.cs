using System.Globalization;

namespace Tandem.Router.Launch;

/// <summary>
/// This process's place in an MPI job, read from the environment its launcher set: Open MPI
/// (<c>OMPI_COMM_WORLD_RANK</c>/<c>_SIZE</c>), MPICH's Hydra and Intel MPI (<c>PMI_RANK</c>/<c>PMI_SIZE</c>), PMIx
/// (<c>PMIX_RANK</c>, with the size from one of the others) or Slurm (<c>SLURM_PROCID</c>/<c>SLURM_NTASKS</c>), in that order.
/// Tandem needs no MPI library: each rank only has to know which instance it runs.
/// </summary>
public sealed record MpiWorld(int Rank, int Size, string Source)
{
    private static readonly (string Rank, string Size)[] Launchers =
    [
        ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"),
        ("PMI_RANK", "PMI_SIZE"),
        ("PMIX_RANK", ""),
        ("SLURM_PROCID", "SLURM_NTASKS"),
    ];

    private static readonly string[] SizeVariables = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_NTASKS"];

    /// <summary>The world, or why it cannot be read (no launcher variable, a malformed number, a rank outside the world).</summary>
    public static (MpiWorld? World, string? Error) Read(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        foreach (var (rankName, sizeName) in Launchers)
        {
            if (string.IsNullOrWhiteSpace(environment(rankName)))
            {
                continue;
            }

            var sizeSource = sizeName.Length > 0 ? sizeName : SizeVariables.FirstOrDefault(n => !string.IsNullOrWhiteSpace(environment(n)));
            if (sizeSource is null || string.IsNullOrWhiteSpace(environment(sizeSource)))
            {
                return (null, $"{rankName} is set but the world size is not ({(sizeName.Length > 0 ? sizeName : string.Join(", ", SizeVariables))}); start the workers with mpirun -n N");
            }

            var rank = Number(environment(rankName)!);
            var size = Number(environment(sizeSource)!);
            if (rank is null || size is null || size < 1)
            {
                return (null, $"{rankName}={environment(rankName)} and {sizeSource}={environment(sizeSource)} are not a rank and a world size");
            }

            if (rank >= size)
            {
                return (null, $"{rankName}={rank} is outside a world of {size} rank(s) ({sizeSource})");
            }

            return (new MpiWorld(rank.Value, size.Value, rankName), null);
        }

        return (null, "not started by an MPI launcher: none of OMPI_COMM_WORLD_RANK, PMI_RANK, PMIX_RANK or SLURM_PROCID is set; run it as mpirun -n <total ranks> tandem disaggregated_mpi_worker -c disagg_config.yaml");
    }

    private static int? Number(string text) =>
        int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
}
