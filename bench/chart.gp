# The benchmark chart: requests per second and p50/p99 latency per configuration, one row per body
# size, bars grouped by connection count. Called by run.sh with data=<prefix>, out=<png>, heading=<text>.
set terminal pngcairo size 1800,1000 font "sans,10" noenhanced
set output out
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics lc rgb "#dddddd"
set xtics rotate by -30 scale 0
set yrange [0:*]
set multiplot layout 2,3 title heading font ",14"
do for [body in "1k 256k"] {
  size = (body eq "1k") ? "1 KiB" : "256 KiB"
  set key inside top right font ",9" box opaque
  set title "requests/s, ".size." bodies"
  set ylabel "req/s"
  plot data."-rps-".body.".dat" using 2:xtic(1) title columnheader(2) lc rgb "#4e79a7", \
       '' using 3 title columnheader(3) lc rgb "#f28e2b"
  unset key
  set title "p50 latency, ".size." bodies (log scale)"
  set ylabel "ms"
  set logscale y
  set yrange [*:*]
  plot data."-p50-".body.".dat" using 2:xtic(1) title columnheader(2) lc rgb "#4e79a7", \
       '' using 3 title columnheader(3) lc rgb "#f28e2b"
  set title "p99 latency, ".size." bodies (log scale)"
  plot data."-p99-".body.".dat" using 2:xtic(1) title columnheader(2) lc rgb "#4e79a7", \
       '' using 3 title columnheader(3) lc rgb "#f28e2b"
  unset logscale y
  set yrange [0:*]
}
unset multiplot
