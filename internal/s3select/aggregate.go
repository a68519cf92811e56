package s3select

// aggState accumulates one aggregate function.
type aggState struct {
	n        int64 // values counted
	sumInt   int64
	sumFloat float64
	isFloat  bool
	best     any // MIN / MAX so far
}

func (a *aggState) add(ev *evaluator, c *callExpr, rec any) error {
	if c.star {
		a.n++
		return nil
	}
	v, err := ev.eval(c.args[0], rec)
	if err != nil {
		return err
	}
	if isAbsent(v) {
		return nil
	}
	switch c.name {
	case "COUNT":
		a.n++
	case "SUM", "AVG":
		num, ok := toNumber(v)
		if !ok {
			return ErrIncorrectSQLFunctionArgumentType.WithMessage("%s needs numbers; found %q.", c.name, toString(v))
		}
		a.n++
		if i, ok := num.(int64); ok && !a.isFloat {
			s := a.sumInt + i
			if (s > a.sumInt) == (i > 0) || i == 0 {
				a.sumInt = s
				return nil
			}
			// Integer overflow: go on in floating point.
			a.isFloat, a.sumFloat = true, float64(a.sumInt)
		}
		if !a.isFloat {
			a.isFloat, a.sumFloat = true, float64(a.sumInt)
		}
		f, _ := toFloat(num)
		a.sumFloat += f
	case "MIN", "MAX":
		if a.best == nil {
			a.best = v
			return nil
		}
		cmp, ok := compare(v, a.best)
		if !ok {
			return ErrIncorrectSQLFunctionArgumentType.WithMessage("%s over values that cannot be compared.", c.name)
		}
		if c.name == "MIN" && cmp < 0 || c.name == "MAX" && cmp > 0 {
			a.best = v
		}
	}
	return nil
}

func (a *aggState) result(c *callExpr) any {
	switch c.name {
	case "COUNT":
		return a.n
	case "SUM":
		if a.n == 0 {
			return nil
		}
		if a.isFloat {
			return a.sumFloat
		}
		return a.sumInt
	case "AVG":
		if a.n == 0 {
			return nil
		}
		if a.isFloat {
			return a.sumFloat / float64(a.n)
		}
		return float64(a.sumInt) / float64(a.n)
	}
	return a.best
}
