#include "registry.hpp"

#include <array>
#include <string>

#include "error.hpp"

namespace ringsim {

// Each factory is defined in its strategy's file under placement/.
std::unique_ptr<Placement> make_modulo(StrategyParams& p);
std::unique_ptr<Placement> make_ring(StrategyParams& p);
std::unique_ptr<Placement> make_bounded(StrategyParams& p);
std::unique_ptr<Placement> make_rendezvous(StrategyParams& p);
std::unique_ptr<Placement> make_jump(StrategyParams& p);
std::unique_ptr<Placement> make_multiprobe(StrategyParams& p);
std::unique_ptr<Placement> make_maglev(StrategyParams& p);
std::unique_ptr<Placement> make_anchor(StrategyParams& p);
std::unique_ptr<Placement> make_dx(StrategyParams& p);
std::unique_ptr<Placement> make_memento(StrategyParams& p);
std::unique_ptr<Placement> make_powerch(StrategyParams& p);
std::unique_ptr<Placement> make_fliphash(StrategyParams& p);
std::unique_ptr<Placement> make_jumpback(StrategyParams& p);
std::unique_ptr<Placement> make_binomial(StrategyParams& p);

namespace {

constexpr std::array kStrategies{
    StrategyInfo{"modulo", "h(x) mod p over the active nodes: the naive baseline", "(none)",
                 make_modulo},
    StrategyInfo{"ring", "consistent hashing ring with virtual nodes (Karger et al., STOC 1997)",
                 "vnodes=160 (points per unit of weight)", make_ring},
    StrategyInfo{"rendezvous",
                 "highest random weight, weights by -w/ln(u) (Thaler, Ravishankar, ToN 1998)",
                 "(none)", make_rendezvous},
    StrategyInfo{"jump", "jump consistent hash (Lamping, Veach, arXiv:1406.2294)",
                 "removal=lifo (lifo: only the last added node leaves; swap: any node leaves, the "
                 "last bucket's node takes its bucket)",
                 make_jump},
    StrategyInfo{
        "multiprobe", "multi-probe consistent hashing (Appleton, O'Reilly, arXiv:1505.00062)",
        "probes=21 (hashes per key, >= 1), points=1 (points per unit of weight)", make_multiprobe},
    StrategyInfo{"maglev", "Maglev lookup-table hashing (Eisenbud et al., NSDI 2016, sec. 3.4)",
                 "table_size=65537 (prime, >= cluster.nodes)", make_maglev},
    StrategyInfo{
        "bounded",
        "consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam, "
        "arXiv:1608.01350)",
        "vnodes=40 (ring points per unit of weight), epsilon=0.25 (each node holds at most "
        "(1+epsilon) times its share)",
        make_bounded},
    StrategyInfo{"anchor", "AnchorHash over arrays A, K, W, L (Mendelson et al., arXiv:1812.09674)",
                 "capacity=0 (anchor size a; 0: cluster.nodes; else >= cluster.nodes)",
                 make_anchor},
    StrategyInfo{"dx",
                 "DxHash, pseudo-random probing of active flags (Dong, Wang, arXiv:2107.07930)",
                 "capacity=0 (slots, rounded up to a power of two; 0: cluster.nodes; else >= "
                 "cluster.nodes)",
                 make_dx},
    StrategyInfo{"memento",
                 "MementoHash, jump hash plus a replacement set (Coluzzi et al., arXiv:2306.09783)",
                 "(none)", make_memento},
    StrategyInfo{"powerch", "power consistent hashing, O(1) expected (Leu, arXiv:2307.12448)",
                 "removal=lifo (lifo: only the last added node leaves; swap: any node leaves, the "
                 "last bucket's node takes its bucket)",
                 make_powerch},
    StrategyInfo{"fliphash",
                 "FlipHash, constant-time range hashing (Masson, Lee, arXiv:2402.17549)",
                 "removal=lifo (lifo: only the last added node leaves; swap: any node leaves, the "
                 "last bucket's node takes its bucket)",
                 make_fliphash},
    StrategyInfo{"jumpback", "JumpBackHash, jump hash walked backwards (Ertl, arXiv:2403.18682)",
                 "removal=lifo (lifo: only the last added node leaves; swap: any node leaves, the "
                 "last bucket's node takes its bucket)",
                 make_jumpback},
    StrategyInfo{"binomial", "BinomialHash, constant time (Coluzzi et al., arXiv:2406.19836)",
                 "removal=lifo (lifo: only the last added node leaves; swap: any node leaves, the "
                 "last bucket's node takes its bucket)",
                 make_binomial},
};

}  // namespace

std::span<const StrategyInfo> strategies() { return kStrategies; }

const StrategyInfo* find_strategy(std::string_view name) {
  for (const auto& s : kStrategies)
    if (s.name == name) return &s;
  return nullptr;
}

std::unique_ptr<Placement> make_placement(StrategyParams params) {
  const StrategyInfo* info = find_strategy(params.strategy());
  if (!info) {
    std::string known;
    for (const auto& s : kStrategies) known += (known.empty() ? "" : ", ") + std::string(s.name);
    throw Error("unknown strategy '" + params.strategy() + "' (known: " + known + ")");
  }
  auto placement = info->make(params);
  params.finish();
  return placement;
}

}  // namespace ringsim
