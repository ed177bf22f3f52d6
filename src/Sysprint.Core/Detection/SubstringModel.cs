namespace Sysprint.Detection;

/// <summary>
/// Every window of 1 to <see cref="MaxWindow"/> consecutive calls seen in normal traces, with how
/// often it was seen: the fingerprint of the paper for all window lengths at once (a window of k
/// calls is seen exactly when the k-gram fingerprint holds it). Detectors read a trace through
/// <see cref="Analyse"/>, which finds for each call the
/// longest seen window ending at it: since a window containing an unseen window is unseen, that one
/// number per call answers "is the k-window here seen?" for every k.
/// </summary>
public sealed class SubstringModel
{
    /// <summary>Longest window tracked.</summary>
    public const int MaxWindow = 10;

    private const int MaxIds = (1 << WindowTrie.IdBits) - 1;
    private const int DirectNumbers = 4096;

    private readonly int[] _idOfSmall = new int[DirectNumbers];
    private readonly Dictionary<int, int> _idOfLarge = [];
    private readonly List<int> _numberOfId = [0];
    private readonly WindowTrie _trie = new();
    private readonly int[] _distinct = new int[MaxWindow + 1];
    private readonly long[] _totals = new long[MaxWindow + 1];
    private bool _frozen;

    /// <summary>Distinct windows of <paramref name="k"/> calls seen.</summary>
    public int Distinct(int k) => _distinct[k];

    /// <summary>Windows of <paramref name="k"/> calls seen, with repetition.</summary>
    public long Total(int k) => _totals[k];

    /// <summary>Distinct calls learnt.</summary>
    public int CallCount => _numberOfId.Count - 1;

    /// <summary>Learns one thread's calls as part of learnt trace <paramref name="trace"/>.</summary>
    /// <remarks>Traces are learnt one after the other (all threads of one, then the next): the trace
    /// ids let the model tell, for every window, whether a single trace holds it.</remarks>
    public void Learn(ReadOnlySpan<int> calls, int trace = 0)
    {
        for (int i = 0; i < calls.Length; i++)
        {
            int from = Math.Max(0, i - MaxWindow + 1);
            LearnEndingAt(calls[from..(i + 1)], startsThread: from == 0, trace);
        }
    }

    /// <summary>
    /// Learns the windows ending at a thread's newest call, streaming: <paramref name="recent"/> is
    /// that call and up to <see cref="MaxWindow"/> - 1 before it, oldest first, and
    /// <paramref name="startsThread"/> tells whether its oldest call is the thread's first.
    /// </summary>
    public void LearnEndingAt(ReadOnlySpan<int> recent, bool startsThread, int trace)
    {
        if (_frozen)
        {
            throw new InvalidOperationException("the model is frozen: learning must end before analysis starts");
        }

        if (recent.Length is 0 or > MaxWindow)
        {
            throw new ArgumentException($"1 to {MaxWindow} calls end at a call, not {recent.Length}", nameof(recent));
        }

        int node = 0;
        for (int k = 1; k <= recent.Length; k++)
        {
            node = _trie.GetOrAddChild(node, IdOf(recent[^k], create: true), out bool created);
            if (created)
            {
                _distinct[k]++;
            }

            _trie.Increment(node, trace, atStart: startsThread && k == recent.Length);
            _totals[k]++;
        }
    }

    /// <summary>
    /// Adds a stored window (calls oldest first) with its learnt totals: how often it was seen, how
    /// often at a thread's start, how many traces hold it (2: two or more) and which one when one does.
    /// Windows must come shorter first, so that each window's newer part is already there.
    /// </summary>
    public void AddWindow(ReadOnlySpan<int> calls, int count, int starts, int traces, int owner)
    {
        if (calls.Length is 0 or > MaxWindow)
        {
            throw new ArgumentException($"a window holds 1 to {MaxWindow} calls, not {calls.Length}", nameof(calls));
        }

        int node = 0;
        for (int j = calls.Length - 1; j >= 0; j--)
        {
            node = _trie.GetOrAddChild(node, IdOf(calls[j], create: true), out bool created);
            if (created)
            {
                _distinct[calls.Length - j]++;
            }
        }

        _trie.Add(node, count, starts, traces, owner);
        _totals[calls.Length] += count;
    }

    /// <summary>Every learnt window, calls oldest first, with its totals (as <see cref="AddWindow"/> takes them); shorter windows first.</summary>
    public void ForEachWindow(WindowVisitor visit)
    {
        ArgumentNullException.ThrowIfNull(visit);
        Span<int> calls = stackalloc int[MaxWindow];
        var order = new int[_trie.NodeCount - 1];
        for (int node = 1; node < _trie.NodeCount; node++)
        {
            order[node - 1] = node;
        }

        // Nodes are numbered in creation order, which puts a window after its newer part but not
        // after every shorter window; sorting by length keeps AddWindow's order simple to state.
        int[] depths = [.. order.Select(_trie.Depth)];
        Array.Sort(depths, order);
        foreach (int node in order)
        {
            int length = 0;
            for (int n = node; n != 0; n = _trie.Parent(n))
            {
                calls[length++] = _numberOfId[_trie.Id(n)];
            }

            visit(calls[..length], _trie.Count(node), _trie.Starts(node), _trie.Traces(node), _trie.Owner(node));
        }
    }

    /// <summary>
    /// Stide's unseen-window counts of each learnt trace, as if it alone had not been learnt
    /// (leave-one-out), for k = 0..<see cref="MaxWindow"/>: the trace's windows that no other trace
    /// holds. Derived from the totals alone, so a stored model calibrates as the evaluation does.
    /// Traces holding no window of their own are absent (all their counts are 0).
    /// </summary>
    public Dictionary<int, long[]> NovelWhenLeftOut()
    {
        var novel = new Dictionary<int, long[]>();
        for (int node = 1; node < _trie.NodeCount; node++)
        {
            if (_trie.Traces(node) != 1)
            {
                continue;
            }

            int owner = _trie.Owner(node);
            if (!novel.TryGetValue(owner, out long[]? counts))
            {
                counts = new long[MaxWindow + 1];
                novel[owner] = counts;
            }

            // A full window of k calls unseen elsewhere is one unseen k-window per occurrence; a
            // shorter one at a thread's start is the whole prefix there, unseen for every longer k.
            int depth = _trie.Depth(node);
            counts[depth] += _trie.Count(node);
            for (int k = depth + 1; k <= MaxWindow; k++)
            {
                counts[k] += _trie.Starts(node);
            }
        }

        return novel;
    }

    /// <summary>Ends learning; analysis may run on several threads at once from here.</summary>
    public void Freeze()
    {
        _frozen = true;
        _trie.Next(0, 1);
    }

    /// <summary>
    /// For each call of <paramref name="calls"/>, the longest seen window ending at it
    /// (<paramref name="longest"/>, 0 when the call itself was never seen) and how often the window of
    /// <paramref name="countWindow"/> calls ending at it was seen (<paramref name="counts"/>, 0 when unseen).
    /// </summary>
    public void Analyse(ReadOnlySpan<int> calls, Span<byte> longest, Span<int> counts, int countWindow)
    {
        _frozen = true;

        // The longest seen window ending at call i, less its newest call, is a seen window ending
        // at i - 1, so it is found by extending the previous one: drop its oldest calls until the
        // extension by call i was seen (amortised, two probes per call instead of one per length).
        int node = 0;
        for (int i = 0; i < calls.Length; i++)
        {
            int id = IdOf(calls[i], create: false);
            if (id == 0)
            {
                node = 0;
                longest[i] = 0;
                counts[i] = 0;
                continue;
            }

            if (_trie.Depth(node) == MaxWindow)
            {
                node = _trie.Parent(node);
            }

            int next;
            while ((next = _trie.Next(node, id)) < 0 && node != 0)
            {
                node = _trie.Parent(node);
            }

            if (next < 0)
            {
                // Only a model that lost windows could get here: every learnt call is a window.
                node = 0;
                longest[i] = 0;
                counts[i] = 0;
                continue;
            }

            node = next;
            int depth = _trie.Depth(node);
            longest[i] = (byte)depth;
            if (depth >= countWindow && countWindow > 0)
            {
                int window = node;
                for (int d = depth; d > countWindow; d--)
                {
                    window = _trie.Parent(window);
                }

                counts[i] = _trie.Count(window);
            }
            else
            {
                counts[i] = 0;
            }
        }
    }

    /// <summary>The set of learnt calls a trace uses, as a bitset over dense ids, and how many of its distinct calls were never learnt.</summary>
    public (ulong[] Bits, int Unknown) CallSet(IEnumerable<int[]> threads)
    {
        ArgumentNullException.ThrowIfNull(threads);
        var bits = new ulong[(CallCount >> 6) + 1];
        HashSet<int>? unknown = null;
        foreach (int[] calls in threads)
        {
            foreach (int call in calls)
            {
                int id = IdOf(call, create: false);
                if (id == 0)
                {
                    (unknown ??= []).Add(call);
                }
                else
                {
                    bits[(id - 1) >> 6] |= 1UL << ((id - 1) & 63);
                }
            }
        }

        return (bits, unknown?.Count ?? 0);
    }

    /// <summary>The dense id (1-based) of a learnt call, 0 for a call never learnt.</summary>
    public int IdOfCall(int number) => IdOf(number, create: false);

    /// <summary>The syscall number of a dense id (1-based).</summary>
    public int NumberOf(int id) => id > 0 && id < _numberOfId.Count ? _numberOfId[id] : -1;

    /// <summary>Dense id of a call (1-based); 0 for a call never learnt when not creating.</summary>
    private int IdOf(int number, bool create)
    {
        int id;
        if ((uint)number < DirectNumbers)
        {
            id = _idOfSmall[number];
        }
        else
        {
            id = _idOfLarge.GetValueOrDefault(number);
        }

        if (id != 0 || !create)
        {
            return id;
        }

        if (_numberOfId.Count > MaxIds)
        {
            throw new InvalidOperationException($"the evaluation model holds at most {MaxIds} distinct calls");
        }

        id = _numberOfId.Count;
        _numberOfId.Add(number);
        if ((uint)number < DirectNumbers)
        {
            _idOfSmall[number] = id;
        }
        else
        {
            _idOfLarge[number] = id;
        }

        return id;
    }
}

/// <summary>One learnt window and its totals, calls oldest first (see <see cref="SubstringModel.AddWindow"/>).</summary>
public delegate void WindowVisitor(ReadOnlySpan<int> calls, int count, int starts, int traces, int owner);
