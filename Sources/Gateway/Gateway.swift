import CPJSIP
