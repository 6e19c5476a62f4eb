namespace Tandem.Router.Launch;

/// <summary>What a launched worker serves: a URL listed under one section, or under both (a mixed server, one process).</summary>
public enum InstanceRole
{
    Context,
    Generation,

    /// <summary>Listed under both <c>context_servers</c> and <c>generation_servers</c>: started once, with <c>--server_role both</c>.</summary>
    Both,
}

/// <summary>The names an <see cref="InstanceRole"/> goes by on a command line and in log prefixes.</summary>
public static class InstanceRoleNames
{
    /// <summary>The <c>tandem serve --server_role</c> value.</summary>
    public static string ServerRole(this InstanceRole role) => role switch
    {
        InstanceRole.Context => "context",
        InstanceRole.Generation => "generation",
        _ => "both",
    };

    /// <summary>The short prefix of the instance's log lines (<c>ctx</c>, <c>gen</c>, <c>mixed</c>).</summary>
    public static string Abbreviation(this InstanceRole role) => role switch
    {
        InstanceRole.Context => "ctx",
        InstanceRole.Generation => "gen",
        _ => "mixed",
    };
}
