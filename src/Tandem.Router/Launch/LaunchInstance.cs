namespace Tandem.Router.Launch;

/// <summary>
/// One worker server of a deployment, as a launcher starts it: where it listens, what it serves, which MPI ranks it
/// takes, and the <c>tandem serve</c> arguments that run it with its section's settings.
/// </summary>
public sealed record LaunchInstance
{
    /// <summary>Position in the plan: context instances first, then generation instances, each in <c>urls</c> order.</summary>
    public required int Index { get; init; }

    /// <summary>The base URL from the config (<c>http://host:port/</c>).</summary>
    public required Uri Url { get; init; }

    public required InstanceRole Role { get; init; }

    /// <summary><c>tensor_parallel_size × pipeline_parallel_size</c>; the instance's ranks are <see cref="FirstRank"/> onwards.</summary>
    public required int Ranks { get; init; }

    public required int FirstRank { get; init; }

    public required string Model { get; init; }

    /// <summary>Worker settings that are <c>tandem serve</c> flags (<c>--tokenizer</c>, ...), as (flag, value).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Flags { get; init; } = [];

    /// <summary>The section's other worker settings as the text of a <c>tandem serve --config</c> file (may be empty).</summary>
    public string ConfigYaml { get; init; } = "";

    /// <summary>The host to bind, without IPv6 brackets.</summary>
    public string Host => Url.IdnHost;

    public int Port => Url.Port;

    /// <summary>Log prefix: role and port, e.g. <c>ctx:8001</c>.</summary>
    public string Label => $"{Role.Abbreviation()}:{Port}";

    /// <summary>Where the instance answers <c>GET /health</c>.</summary>
    public Uri Health => new(Url, "health");

    /// <summary>
    /// The arguments after <c>tandem serve</c>: model, host, port, role, flags, then <c>--config</c> when
    /// <paramref name="configPath"/> is given (the caller wrote <see cref="ConfigYaml"/> there) and <c>--log_level</c>.
    /// </summary>
    public IReadOnlyList<string> ServeArguments(string? configPath, string? logLevel)
    {
        var arguments = new List<string> { Model, "--host", Host, "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--server_role", Role.ServerRole() };
        foreach (var (flag, value) in Flags)
        {
            arguments.Add(flag);
            arguments.Add(value);
        }

        if (configPath is not null)
        {
            arguments.Add("--config");
            arguments.Add(configPath);
        }

        if (logLevel is not null)
        {
            arguments.Add("--log_level");
            arguments.Add(logLevel);
        }

        return arguments;
    }

    /// <summary>E.g. <c>context localhost:8001 (rank 0)</c> or <c>generation localhost:8003 (ranks 2-3)</c>.</summary>
    public override string ToString() =>
        $"{Role.ServerRole()} {Url.Authority} ({(Ranks == 1 ? $"rank {FirstRank}" : $"ranks {FirstRank}-{FirstRank + Ranks - 1}")})";
}
