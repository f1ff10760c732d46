NAME          TINY
ROWS
 N  COST
 G  LIM
 E  EQ
 L  UP
COLUMNS
    X         COST      1.0        LIM       1.0
    X         EQ        1.0        UP        2.0
    Y         COST      -1.0       EQ        1.0
RHS
    RHS       LIM       2.0        EQ        5.0
    RHS       UP        9.0
RANGES
    RNG       UP        4.0
BOUNDS
 UP BND       X         4.0
 MI BND       Y
QUADOBJ
    X         X         2.0
    X         Y         1.0
    Y         Y         2.0
ENDATA
