using Tandem.Contracts;
using Tandem.Engine.KvCache;

namespace Tandem.Server.Disaggregation;

/// <summary>
/// What a generation-only request starts from: the pulled cache, or none with <see cref="Recomputed"/>
/// set (the transfer failed and the policy is recompute), or the error that refuses it.
/// </summary>
internal sealed record GenerationKv(KvSnapshot? Snapshot, bool Recomputed, ErrorResponse? Error);
