// Every rank must hold the same weights: a cheap hash of all parameter bits is compared across ranks now and then,
// and a difference stops the run at once (a silent divergence would waste the rest of it).
using System.Runtime.InteropServices;
using ConvNet.Layers;

namespace ConvNet.Distributed;

public static class ReplicaCheck
{
    /// <summary>Throws CommunicationException on every rank when any two ranks' weights differ.</summary>
    public static void Require(ICommunicator communicator, IReadOnlyList<Parameter> parameters, long step)
    {
        if (communicator.Size == 1) return;
        long hash = (long)Hash(parameters);
        var (min, max) = communicator.MinMax(hash);
        if (min != max)
            throw new CommunicationException($"the ranks' weights differ at step {step} (hash {hash:x16} on rank {communicator.Rank}): " +
                "the ranks did not train the same network; check that every rank runs the same convnet build with the same options");
    }

    /// <summary>Agrees on a value that must be equal on every rank (the configuration, the parameter count), so
    /// mismatched ranks stop with a clear error before their collectives disagree in length.</summary>
    public static void RequireSame(ICommunicator communicator, ulong value, string what)
    {
        if (communicator.Size == 1) return;
        var (min, max) = communicator.MinMax((long)value);
        if (min != max) throw new CommunicationException($"the ranks disagree on {what}: start every rank with the same command line");
    }

    /// <summary>As <see cref="RequireSame"/> for a JSON object (a configuration), naming the fields that differ and the
    /// ranks whose differ from rank 0's: "the ranks disagree" alone left a user to compare every option.</summary>
    public static void RequireSameFields(ICommunicator communicator, string json, string what)
    {
        if (communicator.Size == 1) return;
        var fields = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject().OrderBy(f => f.Key, StringComparer.Ordinal)
            .Select(f => (f.Key, Hash: (long)Hash(f.Key + "=" + (f.Value?.ToJsonString() ?? "null")))).ToList();
        // One length everywhere before the gather (another build could have other fields).
        var (fewest, most) = communicator.MinMax(fields.Count);
        if (fewest != most) RequireSame(communicator, Hash(json), what);
        else
        {
            long[][] all = communicator.AllGather([.. fields.Select(f => f.Hash)]);
            var differing = Enumerable.Range(0, fields.Count).Where(i => all.Any(rank => rank[i] != all[0][i])).Select(i => fields[i].Key).ToList();
            var ranks = Enumerable.Range(1, all.Length - 1).Where(r => !all[r].SequenceEqual(all[0])).ToList();
            if (differing.Count > 0)
                throw new CommunicationException($"the ranks disagree on {what}: {string.Join(", ", differing)} on rank{(ranks.Count == 1 ? "" : "s")} " +
                    $"{string.Join(", ", ranks)} differ{(differing.Count == 1 && ranks.Count == 1 ? "s" : "")} from rank 0's; start every rank with the same command line");
        }
    }

    /// <summary>A 64-bit multiply-xor hash of the exact bits of every parameter, in order.</summary>
    public static ulong Hash(IReadOnlyList<Parameter> parameters)
    {
        ulong h = 0xcbf29ce484222325UL;
        foreach (var p in parameters)
        {
            var words = MemoryMarshal.Cast<float, uint>(p.Value.Span);
            foreach (uint w in words) h = (h ^ w) * 0x100000001b3UL;
            h = (h ^ (ulong)words.Length) * 0x9E3779B97F4A7C15UL;
        }
        return h;
    }

    /// <summary>The same hash over a string (a configuration's JSON).</summary>
    public static ulong Hash(string text)
    {
        ulong h = 0xcbf29ce484222325UL;
        foreach (char c in text) h = (h ^ c) * 0x100000001b3UL;
        return h;
    }
}
